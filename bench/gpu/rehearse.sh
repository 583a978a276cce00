#!/usr/bin/env bash
# all.sh rehearsed on this machine's CPU, at a tiny shape, through the real pack path: pack.sh (into a folder of its
# own, never .gpu), the pack unpacked by all.sh's setup, Rex bound through LD_LIBRARY_PATH to the libtorch folder of
# TorchSharp-cpu's NuGet package (the pack holds no libtorch), every step under the budget. Then checks what a GPU
# run's result must hold: the keys, every supported family's parity, Rex's figures at each batch size, and a status
# for every step (a step that cannot run here, such as the peers without python's torch, must say why). .ci/run runs
# it.
# Settings: REX_REHEARSAL_PYTHON (python3; one with torch also rehearses the bandwidth and the torch steps),
# REX_REHEARSAL_BUDGET (seconds, 900: the steps' caps stretch with it), REX_REHEARSAL_OUT (where all.sh writes its three
# files; default a temporary folder).
# Usage: bench/gpu/rehearse.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
REX_PACK_XZ=-1 REX_GPU_PACK_DIR="$scratch/pack" bash bench/gpu/pack.sh
nuget=${NUGET_PACKAGES:-$HOME/.nuget/packages}
torch_lib=$(dirname "$(find "$nuget/libtorch-cpu-linux-x64" -name libtorch_cpu.so | sort | tail -1)")
out=${REX_REHEARSAL_OUT:-$scratch/out}
mkdir -p "$out"

started=$SECONDS
REX_GPU_DEVICE=cpu REX_GPU_SHAPE="64 4 2 128" REX_GPU_LAYERS=2 REX_GPU_BATCHES="1 8" REX_GPU_INPUT=16 \
  REX_GPU_OUTPUT=8 REX_GPU_PARITY_CASES=1 REX_GPU_PARITY_CLUSTER_BF16=0 REX_GPU_TORCH_THREADS=1 REX_GPU_BUDGET=${REX_REHEARSAL_BUDGET:-900} \
  TORCH_LIB=$torch_lib REX_GPU_PYTHON=${REX_REHEARSAL_PYTHON:-python3} REX_GPU_PACK_DIR="$scratch/pack" \
  REX_GPU_ROOT="$scratch/root" REX_GPU_WORK="$scratch/work" OUT=$out bash bench/gpu/all.sh
echo "all.sh took $((SECONDS - started)) s"

python3 - "$out" "${REX_REHEARSAL_BUDGET:-900}" "$((SECONDS - started))" <<'EOF'
import glob, json, sys
out, budget, took = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
results = glob.glob(f"{out}/cpu-*.json")
checks = []

def check(what, ok):
    checks.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {what}")

names = sorted(p.rsplit("/", 1)[1] for p in glob.glob(f"{out}/*"))
check("one result file (cpu-DATE.json) beside all.log and details.tar.gz",
      len(results) == 1 and names == sorted(["all.log", "details.tar.gz", results[0].rsplit("/", 1)[1]]))
r = json.load(open(results[0])) if results else {}
keys = ["device", "layers", "parity", "bandwidth_gb_s", "roofline_tokens_per_second", "rex_local", "rex_cluster",
        "torch_eager", "torch_graph"]
check(f"the result has {', '.join(keys)}", all(k in r for k in keys))
supported = ["dbrx-tiny", "mixtral-tiny", "qwen2_moe-tiny", "qwen3_moe-tiny", "olmoe-tiny"]
check(f"{', '.join(supported)} pass parity (local float32 and bfloat16, cluster float32)",
      all(r.get("parity", {}).get(name) is True for name in supported))
check("a fixture of a family Rex does not read is reported, not a failure",
      all(d["verdict"] in ("pass", "unsupported") for d in r.get("parity_detail", {}).values()))
for series in ("rex_local", "rex_cluster", "rex_embedded"):
    check(f"{series} at batch 1 and 8: TPOT and tokens/s", all(
        r.get(series, {}).get(b, {}).get("tpot_ms", 0) > 0 and r[series][b]["tokens_per_second"] > 0 for b in ("1", "8")))
check("the cluster's and the embedded gateway's step profiles",
      all("1" in r.get(f"{layout}_step_profile", {}) for layout in ("cluster", "embedded")))
steps = {s["name"]: s for s in r.get("steps", [])}
check("every step has a status; a skipped one says why", len(steps) == 10 and all(
    s["status"] == "ok" or (s["status"] == "skipped" and s["reason"]) for s in steps.values()))
check("setup, binding, parity, rex_local, rex_cluster and rex_embedded ran", all(steps.get(n, {}).get("status") == "ok"
      for n in ("setup", "binding", "parity", "rex_local", "rex_cluster", "rex_embedded")))
if steps.get("torch", {}).get("status") == "ok":
    check("with torch: the bandwidth, the roofline and the eager peer", r["bandwidth_gb_s"] and
          all(r["roofline_tokens_per_second"].get(b) and r["torch_eager"].get(b) for b in ("1", "8")))
check(f"within the budget ({took} s of {budget})", took <= budget + 15)
print(f"rehearsal: {sum(checks)} passed, {len(checks) - sum(checks)} failed")
sys.exit(0 if all(checks) else 1)
EOF
