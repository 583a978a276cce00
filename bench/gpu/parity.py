#!/usr/bin/env python3
"""Parity of Rex on a device against every fixture in tests/fixtures/*/ (config.json and expected.json with, per
prompt, `prompt_ids`, `positions[t].top_ids/top_logits` and `greedy_ids`), so a family added later is covered without
a change here. Per fixture:
  local engine, float32   `rex logits`: every listed logit within FP32_TOLERANCE and the top-5 order at every
                          position; `rex generate`: every greedy id equal
  local engine, bfloat16  `rex logits` within the BF16_* tolerances below (bf16 activations round at every op, so
                          greedy ids part from the fp32 reference within a few tokens: their agreement is recorded)
  cluster, float32        a gateway and expert silos as separate processes on the device (`rex cluster up`), every
                          greedy id equal through `rex generate --server`
  cluster, bfloat16       greedy ids recorded, not judged (--no-cluster-bf16 skips it)
A fixture whose family Rex does not read yet is reported as unsupported (its loader says "not supported").
Rex runs as separate processes, many at once (a tiny model is far from filling the device or a core).

Usage: parity.py --rex "dotnet rex.dll" --device cuda:0 --fixtures tests/fixtures --work DIR --json OUT [--jobs N]
Exit status 0 when every supported fixture passes, 1 otherwise (unsupported ones do not fail the run).
"""

import argparse
import concurrent.futures as futures
import glob
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

FP32_TOLERANCE = 1e-3      # the fixtures' own contract (tests/fixtures/README.md)
BF16_MEAN_ABS = 0.1        # mean |logit - expected| over every listed logit; the CPU engine here: 0.057 (dbrx-tiny)
BF16_MAX_ABS = 1.0         # largest single difference; the CPU engine here: 0.60 (dbrx-tiny, logits up to 16)
BF16_TOP1 = 0.9            # share of positions whose highest logit is the expected one; the CPU engine here: 94 of 95
TOP = 40                   # logits asked of Rex per position: a listed id reordered in bf16 is still found
GREEDY_TOKENS = 16
JUDGED = (("local", "float32"), ("local", "bfloat16"), ("cluster", "float32"))  # a fixture's verdict rests on these
CALL_TIMEOUT = 180         # seconds for one rex invocation (a hung process must not hold the run)


class Rex:
    def __init__(self, command: str, device: str, silos: int, work: str):
        self.command, self.device, self.silos, self.work = shlex.split(command), device, silos, work
        self.states, self.stopping, self.lock = [], [], threading.Lock()

    def call(self, *args: str):
        started = time.monotonic()
        try:
            done = subprocess.run(self.command + list(args), capture_output=True, text=True, timeout=CALL_TIMEOUT)
            return done.returncode, done.stdout, done.stderr, time.monotonic() - started
        except subprocess.TimeoutExpired:
            return 124, "", f"timed out after {CALL_TIMEOUT} s", time.monotonic() - started

    def logits(self, fixture: str, dtype: str, prompt):
        return self.call("logits", "--model", fixture, "--device", self.device, "--dtype", dtype,
                         "--token-ids", csv(prompt), "--top", str(TOP))

    def generate(self, prompt, *where: str):
        return self.call("generate", *where, "--token-ids", csv(prompt), "--max-tokens", str(GREEDY_TOKENS),
                         "--ignore-eos", "--json")

    def cluster_up(self, fixture: str, dtype: str) -> str:
        state = os.path.join(self.work, "clusters", f"parity-{os.path.basename(fixture)}-{dtype}")
        os.makedirs(state, exist_ok=True)
        with self.lock:
            self.states.append(state)
        # localhost membership: the pack leaves out the embedded store (see pack.sh).
        rc, out, err, _ = self.call("cluster", "up", "--silos", str(self.silos), "--membership", "localhost", "--devices", self.device,
                                    "--gateway-arg", f"Rex:GatewayDevice={self.device}",
                                    "--gateway-arg", "Rex:KvCacheBytes=268435456", "--torch-threads", "1",
                                    "--port", "0", "--http-port", "0", "--timeout", "150", "--state", state,
                                    "--model", fixture, "--dtype", dtype)
        if rc != 0:
            raise RuntimeError(f"cluster up failed ({rc}): {tail(err or out)}")
        return out.strip().splitlines()[-1]

    def cluster_down(self, state: str):
        self.call("cluster", "down", "--state", state)

    def cluster_down_later(self, state: str):
        """A graceful stop takes seconds of waiting, not of work: the next cluster comes up meanwhile (the final
        sweep over every state stops whatever is still up)."""
        stop = threading.Thread(target=self.cluster_down, args=(state,), daemon=True)
        with self.lock:
            self.stopping.append(stop)
        stop.start()

    def stop_all(self):
        """Waits for the stops under way, then stops every cluster whose state still names one."""
        for stop in list(self.stopping):
            stop.join(CALL_TIMEOUT)
        for state in self.states:
            if os.path.exists(os.path.join(state, "cluster.json")):
                self.cluster_down(state)


def csv(ids) -> str:
    return ",".join(map(str, ids))


def tail(text: str, lines: int = 6) -> str:
    return " | ".join(line for line in text.strip().splitlines()[-lines:] if line.strip())


def unsupported(stderr: str) -> bool:
    return re.search(r"not supported|unsupported", stderr, re.IGNORECASE) is not None


def greedy_of(out: str):
    return json.loads(out)["token_ids"]


def prefix(got, expected) -> int:
    return next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))


def logit_errors(case, positions):
    """Per listed (id, logit) the difference from Rex's logit for that id (None where Rex's top TOP lacks it), and
    per position whether the top-5 order and the top-1 id agree."""
    diffs, top5, top1 = [], [], []
    for want, got in zip(case["positions"], positions):
        have = dict(zip(got["top_ids"], got["top_logits"]))
        diffs += [abs(have[i] - v) if i in have else None for i, v in zip(want["top_ids"], want["top_logits"])]
        top5.append(got["top_ids"][:5] == want["top_ids"][:5])
        top1.append(got["top_ids"][0] == want["top_ids"][0])
    return diffs, top5, top1


def judge_logits(dtype: str, cases, outputs):
    diffs, top5, top1 = [], [], []
    for case, out in zip(cases, outputs):
        positions = json.loads(out)["positions"]
        if len(positions) != len(case["positions"]):
            return {"ok": False, "reason": f"{len(positions)} positions, expected {len(case['positions'])}"}
        d, o, t = logit_errors(case, positions)
        diffs, top5, top1 = diffs + d, top5 + o, top1 + t
    found = [d for d in diffs if d is not None]
    report = {"listed": len(diffs), "missing_from_top": len(diffs) - len(found),
              "max_abs": max(found, default=0.0), "mean_abs": sum(found) / max(len(found), 1),
              "top5_order": sum(top5) / len(top5), "top1": sum(top1) / len(top1)}
    if dtype == "float32":
        report["ok"] = report["missing_from_top"] == 0 and report["max_abs"] <= FP32_TOLERANCE and all(top5)
    else:
        report["ok"] = (report["missing_from_top"] == 0 and report["mean_abs"] <= BF16_MEAN_ABS
                        and report["max_abs"] <= BF16_MAX_ABS and report["top1"] >= BF16_TOP1)
    return report


def judge_greedy(cases, outputs, judged: bool):
    got = [greedy_of(out) for out in outputs]
    equal = [g == c["greedy_ids"] for g, c in zip(got, cases)]
    report = {"equal": sum(equal), "cases": len(cases), "prefix": [prefix(g, c["greedy_ids"]) for g, c in zip(got, cases)]}
    report["ok"] = all(equal) if judged else None
    return report


def failure(results) -> str:
    """The first failed call's reason, or None."""
    for rc, out, err, _ in results:
        if rc != 0:
            return f"exit {rc}: {tail(err or out)}"
    return None


class Fixture:
    def __init__(self, path: str, cases: int = None):
        self.path, self.name = path, os.path.basename(path.rstrip("/"))
        with open(os.path.join(path, "expected.json")) as fh:
            self.cases = json.load(fh)[:cases]
        with open(os.path.join(path, "config.json")) as fh:
            self.family = json.load(fh).get("model_type", "?")
        self.report = {"family": self.family, "verdict": "incomplete"}
        self.probe = None  # the float32 logits of the first prompt, asked first to learn whether Rex reads the family

    def local(self, rex: Rex, pool, dtype: str):
        logits = [self.probe if dtype == "float32" and i == 0 else pool.submit(rex.logits, self.path, dtype, c["prompt_ids"])
                  for i, c in enumerate(self.cases)]
        greedy = [pool.submit(rex.generate, c["prompt_ids"], "--model", self.path, "--device", rex.device,
                              "--dtype", dtype) for c in self.cases]
        logits, greedy = [f.result() for f in logits], [f.result() for f in greedy]
        reason = failure(logits + greedy)
        if reason:
            return {"ok": False, "reason": reason}
        return {"logits": judge_logits(dtype, self.cases, [r[1] for r in logits]),
                "greedy": judge_greedy(self.cases, [r[1] for r in greedy], judged=dtype == "float32"),
                "seconds": round(sum(r[3] for r in logits + greedy), 1)}

    def cluster(self, rex: Rex, dtype: str):
        started = time.monotonic()
        try:
            url = rex.cluster_up(self.path, dtype)
            up = time.monotonic() - started
            results = [rex.generate(c["prompt_ids"], "--server", url) for c in self.cases]
        except RuntimeError as e:
            return {"ok": False, "reason": str(e)}
        finally:
            rex.cluster_down_later(os.path.join(rex.work, "clusters", f"parity-{self.name}-{dtype}"))
        reason = failure(results)
        if reason:
            return {"ok": False, "reason": reason}
        return {"greedy": judge_greedy(self.cases, [r[1] for r in results], judged=dtype == "float32"),
                "up_seconds": round(up, 1), "seconds": round(time.monotonic() - started, 1)}


def ok(part) -> bool:
    if "ok" in part:
        return part["ok"] is True
    return all(ok(v) for v in part.values() if isinstance(v, dict) and v.get("ok") is not None)


def run(args) -> dict:
    rex = Rex(args.rex, args.device, args.silos, args.work)
    fixtures = [Fixture(os.path.dirname(p), args.cases) for p in sorted(glob.glob(os.path.join(args.fixtures, "*", "expected.json")))
                if os.path.exists(os.path.join(os.path.dirname(p), "config.json"))]
    report = {"device": args.device, "tolerances": {"float32_max_abs": FP32_TOLERANCE, "bfloat16_mean_abs": BF16_MEAN_ABS,
                                                    "bfloat16_max_abs": BF16_MAX_ABS, "bfloat16_top1": BF16_TOP1},
              "fixtures": {f.name: f.report for f in fixtures}}

    def write():
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)

    def stop(signum, frame):  # all.sh's timeout: keep what is known, stop the clusters
        raise SystemExit(f"parity stopped by signal {signum}")
    signal.signal(signal.SIGTERM, stop)

    calls = futures.ThreadPoolExecutor(args.jobs)
    clusters = futures.ThreadPoolExecutor(max(1, args.jobs // 4))
    try:
        # One call per fixture first: a family Rex does not read fails at once, and costs no cluster.
        for f in fixtures:
            f.probe = calls.submit(rex.logits, f.path, "float32", f.cases[0]["prompt_ids"])
        supported = []
        for f in fixtures:
            rc, _, err, _ = f.probe.result()
            if rc != 0 and unsupported(err):
                f.report.update(verdict="unsupported", reason=tail(err, 2))
                print(f"parity {f.name}: unsupported ({tail(err, 1)})", flush=True)
            else:
                supported.append(f)
        write()
        # The judged parts first, the bf16 clusters (recorded only) last: a run cut short keeps every verdict.
        jobs = {}
        for f in supported:
            jobs[clusters.submit(f.cluster, rex, "float32")] = (f, "cluster", "float32")
        for f in supported:
            for dtype in ("float32", "bfloat16"):
                jobs[_submit_local(f, rex, calls, dtype)] = (f, "local", dtype)
        if args.cluster_bf16:
            for f in supported:
                jobs[clusters.submit(f.cluster, rex, "bfloat16")] = (f, "cluster", "bfloat16")
        for done in futures.as_completed(jobs):
            f, where, dtype = jobs[done]
            f.report.setdefault(where, {})[dtype] = done.result()
            part = f.report[where][dtype]
            print(f"parity {f.name} {where} {dtype}: {summary(part)}", flush=True)
            judged = [f.report.get(w, {}).get(d) for w, d in JUDGED]
            if all(judged):
                f.report["verdict"] = "pass" if all(ok(j) for j in judged) else "fail"
            write()
    finally:
        calls.shutdown(wait=False, cancel_futures=True)
        clusters.shutdown(wait=False, cancel_futures=True)
        rex.stop_all()
        write()
    return report


def _submit_local(f: Fixture, rex: Rex, calls, dtype: str):
    """The local checks fan their calls out over `calls`; the job that waits for them runs on its own thread, so it
    never holds one of the pool's workers while waiting."""
    job = futures.Future()

    def wait():
        try:
            job.set_result(f.local(rex, calls, dtype))
        except BaseException as e:  # noqa: BLE001  (reported as the job's failure)
            job.set_exception(e)
    threading.Thread(target=wait, daemon=True).start()
    return job


def summary(part: dict) -> str:
    if "reason" in part:
        return f"FAIL {part['reason']}"
    bits = []
    if "logits" in part:
        lg = part["logits"]
        bits.append(f"logits max |d| {lg['max_abs']:.2g}, mean {lg['mean_abs']:.2g}, top-1 {lg['top1']:.0%}"
                    f"{', ' + str(lg['missing_from_top']) + ' listed ids missing' if lg['missing_from_top'] else ''}"
                    f" -> {'ok' if lg['ok'] else 'FAIL'}")
    g = part["greedy"]
    bits.append(f"greedy {g['equal']}/{g['cases']} equal (prefixes {g['prefix']})"
                + ("" if g["ok"] is None else " -> ok" if g["ok"] else " -> FAIL"))
    return "; ".join(bits)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rex", required=True, help="the command that runs rex, e.g. 'dotnet /tmp/rex-gpu/app/rex.dll'")
    p.add_argument("--device", default="cuda:0")
    p.add_argument("--fixtures", default="tests/fixtures")
    p.add_argument("--work", required=True, help="folder for the clusters' state and logs")
    p.add_argument("--json", required=True)
    p.add_argument("--silos", type=int, default=2)
    p.add_argument("--cases", type=int, help="only the first N prompts of each fixture (a quick rehearsal)")
    p.add_argument("--no-cluster-bf16", dest="cluster_bf16", action="store_false",
                   help="skip the bf16 clusters, which are recorded but not judged (the CPU rehearsal, on two cores)")
    p.add_argument("--jobs", type=int, default=min(os.cpu_count() or 2, 16))
    args = p.parse_args(argv)
    report = run(args)
    verdicts = {name: f["verdict"] for name, f in report["fixtures"].items()}
    print("parity: " + ", ".join(f"{name} {v}" for name, v in verdicts.items()), flush=True)
    return 0 if all(v in ("pass", "unsupported") for v in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
