#!/usr/bin/env python3
"""The GPU run's results, from what all.sh's steps left in its work folder, as one JSON object (OUT/KIND-DATE.json):
  device, layers                      the GPU (nvidia-smi's name) and the layer count the run sized
  parity                              fixture -> true when it passed (parity_detail: pass/fail/unsupported and why)
  bandwidth_gb_s                      the measured device-to-device copy bandwidth (read + write)
  roofline_tokens_per_second          batch -> batch / (bytes one decode step must read / bandwidth)
  rex_local, rex_cluster,             batch (concurrency) -> {tpot_ms, tokens_per_second}: Rex's local engine, its
  rex_embedded,                       cluster and its embedded default (`rex bench`: TPOT p50, output tokens/s with
  torch_eager, torch_graph            prefill), dbrx_torch.py's eager and CUDA-graph modes (ms per decode step, decode
                                      tokens/s)
  roofline_fraction                   each of those five: decode tokens/s (batch / TPOT) over the roofline
  targets                             issues 18's and 21's targets, judged on these figures (null where one is missing)
  cluster_step_profile,               per concurrency, the gateway's ms per step in each phase (cluster, embedded)
  embedded_step_profile, binding, transformers, torch_fixture_check, conditions, steps: the rest of what was measured
Torch-free (dbrx_shape.py gives the bytes). Usage:
  report.py --work DIR --out DIR [--summary]   write the JSON (and print the one-screen summary)
  report.py --table RESULT.json                the README's table of a result
"""

import argparse
import datetime
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dbrx_shape import DbrxConfig, roofline_tokens_per_second  # noqa: E402

SERIES = ("rex_local", "rex_cluster", "rex_embedded", "torch_eager", "torch_graph")


def load(path, default=None):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return default


def figure(tpot_s, tokens_per_s):
    return {"tpot_ms": round(tpot_s * 1e3, 3), "tokens_per_second": round(tokens_per_s, 1)}


def by_batch(paths):
    """(batch, path) of each `...-bB.json` / `...-cC.json`, smallest batch first."""
    return sorted(((re.search(r"(\d+)\.json$", p).group(1), p) for p in paths), key=lambda bp: int(bp[0]))


def rex_series(work, pattern, tpot):
    series = {}
    for b, path in by_batch(glob.glob(os.path.join(work, pattern))):
        r = load(path)
        if r:
            series[b] = figure(tpot(r), r["output_tokens_per_second"])
    return series


def torch_series(run, mode):
    series = {}
    for row in (run or {}).get("results", []):
        m = row.get("modes", {}).get(mode, {})
        if "ms_per_step" in m:
            series[str(row["batch"])] = figure(m["ms_per_step"] / 1e3, m["tokens_per_s"])
    return series


def step_profiles(work, layout):
    """Per concurrency, the gateway's mean step in ms and each phase's ms per step (layout: cluster or embedded)."""
    profiles = {}
    for c, path in by_batch(glob.glob(os.path.join(work, f"rex-{layout}-c*.json"))):
        p = (load(path) or {}).get("step_seconds")
        if p and p.get("steps"):
            # Phases are seconds summed over the steps, step_bytes the bytes summed; the bandwidth is already a rate.
            profiles[c] = {k: round(v / p["steps"] * 1e3, 3) for k, v in p.items()
                           if k not in ("steps", "step_bytes", "achieved_bandwidth_gbs")}
            profiles[c] |= {k: p[k] for k in ("steps", "achieved_bandwidth_gbs") if k in p}
            if "step_bytes" in p:
                profiles[c]["step_bytes"] = round(p["step_bytes"] / p["steps"])
    return profiles


def targets(result):
    def get(series, b, key):
        return result[series].get(b, {}).get(key)

    def decode(series, b):
        tpot = get(series, b, "tpot_ms")
        return int(b) / (tpot / 1e3) if tpot else None

    def judge(a, op, b):
        return None if a is None or b is None else op(a, b)

    frac = result["roofline_fraction"].get("rex_local", {}).get("1")
    return {
        "rex_local_batch1_at_least_60pct_of_roofline": judge(frac, lambda f, _: f >= 0.6, 0),
        "cluster_tpot_batch1_within_1.3x_local": judge(get("rex_cluster", "1", "tpot_ms"), lambda c, l: c <= 1.3 * l,
                                                       get("rex_local", "1", "tpot_ms")),
        "cluster_tokens_per_second_batch64_at_least_local": judge(
            get("rex_cluster", "64", "tokens_per_second"), lambda c, l: c >= l, get("rex_local", "64", "tokens_per_second")),
        "rex_local_batch64_at_least_torch_eager": judge(decode("rex_local", "64"), lambda r, t: r >= t,
                                                        decode("torch_eager", "64")),
        "rex_cluster_batch64_at_least_torch_eager": judge(decode("rex_cluster", "64"), lambda r, t: r >= t,
                                                          decode("torch_eager", "64")),
        "embedded_tpot_batch1_within_5pct_of_local": judge(get("rex_embedded", "1", "tpot_ms"), lambda e, l: e <= 1.05 * l,
                                                           get("rex_local", "1", "tpot_ms")),
        "embedded_tpot_batch8_within_5pct_of_local": judge(get("rex_embedded", "8", "tpot_ms"), lambda e, l: e <= 1.05 * l,
                                                           get("rex_local", "8", "tpot_ms")),
    }


def build(work):
    machine = load(os.path.join(work, "machine.json"), {})
    parity = load(os.path.join(work, "parity.json"), {}).get("fixtures", {})
    bandwidth = (load(os.path.join(work, "bandwidth.json")) or {}).get("bandwidth_gbs")
    torch_run = load(os.path.join(work, "dbrx_torch.json"))
    if bandwidth is None and torch_run:
        bandwidth = torch_run["conditions"].get("bandwidth_gbs")
    result = {
        "device": machine.get("device"),
        "date": datetime.date.today().isoformat(),
        "layers": machine.get("layers"),
        "parity": {name: f.get("verdict") == "pass" for name, f in parity.items()},
        "bandwidth_gb_s": round(bandwidth, 1) if bandwidth else None,
        "roofline_tokens_per_second": {},
        "rex_local": rex_series(work, "rex-local-b*.json", lambda r: r["tpot_seconds"]),
        "rex_cluster": rex_series(work, "rex-cluster-c*.json", lambda r: r["tpot_seconds"]["p50"]),
        "rex_embedded": rex_series(work, "rex-embedded-c*.json", lambda r: r["tpot_seconds"]["p50"]),
        "torch_eager": torch_series(torch_run, "eager"),
        "torch_graph": torch_series(torch_run, "graph"),
    }
    shape = machine.get("shape")
    if bandwidth and shape and machine.get("layers"):
        cfg = DbrxConfig(d_model=shape["d_model"], n_heads=shape["n_heads"], kv_heads=shape["kv_heads"],
                         n_layers=machine["layers"], vocab_size=shape["vocab"], max_seq_len=2048,
                         ffn_hidden=shape["ffn"], num_experts=shape["experts"], top_k=shape["top_k"])
        for b in machine["batches"]:
            roof = roofline_tokens_per_second(cfg, b, machine["input_len"], machine["output_len"], bandwidth)
            result["roofline_tokens_per_second"][str(b)] = round(roof, 1)
    result["roofline_fraction"] = {
        s: {b: round(int(b) / (f["tpot_ms"] / 1e3) / result["roofline_tokens_per_second"][b], 3)
            for b, f in result[s].items() if b in result["roofline_tokens_per_second"]} for s in SERIES}
    result["targets"] = targets(result)
    result["parity_detail"] = {name: {k: v for k, v in f.items() if k in ("family", "verdict", "reason")}
                               | {"failures": failures(f)} for name, f in parity.items()}
    result["cluster_step_profile"] = step_profiles(work, "cluster")
    result["embedded_step_profile"] = step_profiles(work, "embedded")
    result["binding"] = load(os.path.join(work, "binding.json"))
    hf = load(os.path.join(work, "hf_sdpa.json"))
    result["transformers"] = {str(r["batch"]): figure(r["decode_ms_per_step"] / 1e3, r["decode_tokens_per_s"])
                              for r in hf["results"] if "decode_ms_per_step" in r} if hf else None
    result["torch_fixture_check"] = torch_fixture(work)
    result["conditions"] = {k: v for k, v in machine.items() if k not in ("device", "layers")}
    if torch_run:
        result["conditions"]["torch_peer"] = {k: torch_run["conditions"].get(k) for k in ("torch", "cuda", "attention")}
    result["steps"] = [json.loads(line) for line in open(os.path.join(work, "steps.jsonl"))] \
        if os.path.exists(os.path.join(work, "steps.jsonl")) else []
    return result


def failures(fixture):
    """Where a fixture failed: (where, dtype, what) for every judged part that is not ok."""
    found = []
    for where in ("local", "cluster"):
        for dtype, part in fixture.get(where, {}).items():
            if "reason" in part:
                found.append(f"{where} {dtype}: {part['reason']}")
            for what in ("logits", "greedy"):
                if part.get(what, {}).get("ok") is False:
                    found.append(f"{where} {dtype} {what}: {json.dumps(part[what])}")
    return found


def torch_fixture(work):
    try:
        log = open(os.path.join(work, "torch-fixture.log")).read()
    except OSError:
        return None
    code = re.search(r"fixture check: exit (\d+)", log)
    return None if not code else "pass" if code.group(1) == "0" else "fail"


def kind(device):
    """The file's name: the GPU's model (nvidia-smi's 'NVIDIA H200' -> h200), or cpu."""
    return re.sub(r"[^a-z0-9]+", "-", (device or "cpu").split()[-1].lower()).strip("-") or "gpu"


def cell(result, series, b):
    f = result[series].get(b)
    if not f:
        return "-"
    frac = result["roofline_fraction"][series].get(b)
    return f"{f['tpot_ms']:.2f} ms, {f['tokens_per_second']:,.0f} tok/s" + (f" ({frac:.0%})" if frac is not None else "")


def table(result) -> str:
    batches = sorted({b for s in SERIES for b in result[s]} | set(result["roofline_tokens_per_second"]), key=int)
    lines = ["| batch | roofline | Rex local | Rex cluster | Rex embedded | PyTorch eager | PyTorch CUDA graph |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for b in batches:
        roof = result["roofline_tokens_per_second"].get(b)
        lines.append(f"| {b} | {f'{roof:,.0f} tok/s' if roof else '-'} | "
                     + " | ".join(cell(result, s, b) for s in SERIES) + " |")
    return "\n".join(lines)


def summary(result, path) -> str:
    c = result["conditions"]
    shape = c.get("shape", {})
    machine = ", ".join(x for x in (c.get("memory_mib") and f"{c['memory_mib']} MiB",
                                    c.get("driver") and f"driver {c['driver']}", c.get("torch")) if x)
    lines = [f"== Rex GPU run: {result['device']} ({machine or 'no torch'})",
             f"   {result['layers']} layers of d_model {shape.get('d_model')}, {shape.get('n_heads')}/{shape.get('kv_heads')} "
             f"heads, 16 experts of {shape.get('ffn')} top-4, bf16; input {c.get('input_len')}, output {c.get('output_len')}"]
    lines.append("steps: " + "; ".join(f"{s['name']} {s['status']}" + (f" {s['seconds']} s" if s['status'] != "skipped" else "")
                                      + (f" ({s['reason']})" if s.get("reason") else "") for s in result["steps"]))
    b = result["binding"] or {}
    if b:
        lines.append(f"binding: {b.get('missing_symbols', '?')} libtorch symbols missing; smoke "
                     f"{'ok' if b.get('smoke') == 'ok' else 'FAILED'}"
                     + (f"; rebuilt in {b['rebuilt']} s, smoke {'ok' if b.get('smoke_after_rebuild') == 'ok' else 'FAILED'}"
                        if "rebuilt" in b else ""))
    lines.append("parity: " + (", ".join(f"{n} {d['verdict']}" for n, d in result["parity_detail"].items()) or "not run")
                 + (f"; peer fixture check {result['torch_fixture_check']}" if result["torch_fixture_check"] else ""))
    for n, d in result["parity_detail"].items():
        lines += [f"  {n}: {f[:150]}" for f in d["failures"][:3]]
    lines.append(f"bandwidth: {result['bandwidth_gb_s'] or '-'} GB/s; TPOT, output tokens/s (decode as a share of the roofline):")
    lines.append(table(result))
    for layout in ("cluster", "embedded"):
        for conc, p in result.get(f"{layout}_step_profile", {}).items():
            phases = ", ".join(f"{k} {v:.2f}" for k, v in p.items()
                               if k not in ("steps", "total", "step_bytes", "achieved_bandwidth_gbs"))
            bandwidth = f", {p['achieved_bandwidth_gbs']:.0f} GB/s" if p.get("achieved_bandwidth_gbs") else ""
            lines.append(f"{layout} c{conc}: {p.get('total', 0):.2f} ms/step{bandwidth}: {phases}")
    lines.append("targets: " + "; ".join(f"{k} {'-' if v is None else 'yes' if v else 'NO'}" for k, v in result["targets"].items()))
    lines.append(f"results: {path}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work")
    p.add_argument("--out")
    p.add_argument("--summary", action="store_true")
    p.add_argument("--table", metavar="RESULT_JSON")
    args = p.parse_args(argv)
    if args.table:
        print(table(load(args.table)))
        return 0
    result = build(args.work)
    path = os.path.join(args.out, f"{kind(result['device'])}-{result['date']}.json")
    with open(path, "w") as fh:
        json.dump(result, fh, indent=1)
    if args.summary:
        print(summary(result, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
