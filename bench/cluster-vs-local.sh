#!/usr/bin/env bash
# A real cluster on loopback (a gateway process and --silos expert-silo processes) against the local single-process
# engine on the same model, at several concurrencies: output tokens/s and time per output token (TPOT p50) of both
# and their ratios, then where the gateway's steps (prefill and decode alike) spent their time (ms per step and share), then
# all figures as one JSON document. The cluster runs `rex bench --server` (concurrency C: C clients, C x
# --requests-per-client requests); the local engine runs `rex bench --batch-size C` (one batch of C, in lockstep).
# Each figure is the run with the median throughput of --repeats runs.
# Usage: bench/cluster-vs-local.sh [--model DIR] [--concurrency "1 8 32 64"] [--input-len 32] [--output-len 64]
#                                  [--silos 3] [--requests-per-client 4] [--repeats 3]
set -euo pipefail
cd "$(dirname "$0")/.."

concurrency="1 8 32 64"; input=32; output=64; silos=3; per_client=4; repeats=3; model=()
while [ $# -gt 0 ]; do
  case "$1" in
    --concurrency) concurrency="$2"; shift 2 ;;
    --input-len) input="$2"; shift 2 ;;
    --output-len) output="$2"; shift 2 ;;
    --silos) silos="$2"; shift 2 ;;
    --requests-per-client) per_client="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --model) model=(--model "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

dotnet build src/Cli -c Release -v quiet -nologo >/dev/null
rex=(dotnet src/Cli/bin/Release/net10.0/rex.dll)
state=$(mktemp -d)
trap '"${rex[@]}" cluster down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT

# Runs the command --repeats times and prints the JSON report of the run with the median throughput: one run can land
# on a noisy moment of a shared machine (measured: the local engine at concurrency 32 gave 2375 to 3109 tokens/s over
# five runs in a row).
median_run() {
  local runs=()
  for _ in $(seq "$repeats"); do runs+=("$("$@")"); done
  printf '%s\n' "${runs[@]}" | python3 -c 'import json, sys
runs = sorted((json.loads(line) for line in sys.stdin if line.strip()), key=lambda r: r["output_tokens_per_second"])
print(json.dumps(runs[len(runs) // 2]))'
}

host="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "host: $host; input $input, output $output tokens; cluster: gateway + $silos expert silos, $per_client requests per client;" \
  "median of $repeats runs"
# The local engine first, alone on the machine; then the cluster, without the local engine beside it.
local_runs=()
for c in $concurrency; do
  local_runs+=("$(median_run "${rex[@]}" bench --batch-size "$c" --input-len "$input" --output-len "$output" "${model[@]}" --json)")
done
server=$("${rex[@]}" cluster up --silos "$silos" --port 0 --http-port 0 --state "$state" "${model[@]}")
# A fresh cluster's processes run at full speed only once .NET has compiled their hot code at full optimization,
# which takes several seconds of load on 2 cores (measured: 80 tokens/s at concurrency 1 in the first seconds, 240
# after ten): load it untimed first, batched and alone, as a serving cluster would have been.
"${rex[@]}" bench --server "$server" --concurrency 8 --requests 8 --input-len "$input" --output-len "$output" --warmup-seconds 10 \
  >/dev/null 2>&1
cluster_runs=()
for c in $concurrency; do
  cluster_runs+=("$(median_run "${rex[@]}" bench --server "$server" --concurrency "$c" --requests $((per_client * c)) \
    --input-len "$input" --output-len "$output" --json 2>/dev/null)")
done

python3 - "$host" "$silos" "$per_client" "$repeats" "${#cluster_runs[@]}" "${cluster_runs[@]}" "${local_runs[@]}" <<'PY'
import json, sys
host, silos, per_client, repeats, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cluster = [json.loads(r) for r in sys.argv[6:6 + n]]
local = [json.loads(r) for r in sys.argv[6 + n:]]

runs = []
print(f"\n{'concurrency':<12} {'cluster tok/s':>13} {'local tok/s':>12} {'ratio':>6} | {'cluster TPOT p50':>16} {'local TPOT':>10} {'ratio':>6}  (ms)")
for c, l in zip(cluster, local):
    ct, lt = c["output_tokens_per_second"], l["output_tokens_per_second"]
    cp, lp = c["tpot_seconds"]["p50"], l["tpot_seconds"]
    runs.append({"concurrency": c["concurrency"], "tokens_per_second_cluster_over_local": ct / lt,
                 "tpot_cluster_over_local": cp / lp, "cluster": c, "local": l})
    print(f"{c['concurrency']:<12} {ct:>13.1f} {lt:>12.1f} {ct / lt:>6.2f} | {1000 * cp:>16.2f} {1000 * lp:>10.2f} {cp / lp:>6.2f}")

# The gateway's step profile over each cluster run; the phases above the total add up to it.
phases = [("attention", "attention"), ("router", "router"), ("serialize", "serialize"), ("dispatch (plan, send)", "dispatch"),
          ("network", "network"), ("silo compute waited on", "waited_on_compute"), ("combine", "combine"),
          ("sampling (LM head)", "sampling"), ("host overhead", "host_overhead"), ("total", "total")]
print(f"\nstep profile of the cluster's gateway, ms per step (share of the step)")
print(f"{'concurrency':<24}" + "".join(f"{c['concurrency']:>16}" for c in cluster))
for label, key in phases + [("silo compute reported", "expert_compute")]:
    cells = []
    for c in cluster:
        p = c["step_seconds"]
        per_step = 1000 * p[key] / max(p["steps"], 1)
        cells.append(f"{per_step:7.3f} ({100 * p[key] / max(p['total'], 1e-9):3.0f}%)")
    print(f"{label:<24}" + "".join(f"{cell:>16}" for cell in cells))
print(f"{'steps':<24}" + "".join(f"{c['step_seconds']['steps']:>16}" for c in cluster))
print("(silo compute reported: the slowest silo's per round, also while the gateway worked on; not a share of the step)")

print()
print(json.dumps({"host": host, "expert_silos": silos, "requests_per_client": per_client, "repeats": repeats,
                  "input_len": cluster[0]["input_len"], "output_len": cluster[0]["output_len"], "runs": runs}))
PY
