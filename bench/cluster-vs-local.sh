#!/usr/bin/env bash
# Tokens/s of a real 3-process cluster (gateway + 2 expert silos on loopback) against the local single-process
# engine on the same model, at several concurrencies, with the gateway's step-time split for each.
# Usage: bench/cluster-vs-local.sh [--model DIR] [--concurrency "1 16"] [--input-len 32] [--output-len 64] [--silos 2]
set -euo pipefail
cd "$(dirname "$0")/.."

concurrency="1 16"; input=32; output=64; silos=2; model=()
while [ $# -gt 0 ]; do
  case "$1" in
    --concurrency) concurrency="$2"; shift 2 ;;
    --input-len) input="$2"; shift 2 ;;
    --output-len) output="$2"; shift 2 ;;
    --silos) silos="$2"; shift 2 ;;
    --model) model=(--model "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

dotnet build src/Cli -c Release -v quiet -nologo >/dev/null
rex=(dotnet src/Cli/bin/Release/net10.0/rex.dll)
state=$(mktemp -d)
trap '"${rex[@]}" cluster down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT

echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); input $input, output $output tokens"
# The local engine first, alone on the machine; then the cluster, without the local engine beside it.
declare -A local
for c in $concurrency; do
  local[$c]=$("${rex[@]}" bench --batch-size "$c" --input-len "$input" --output-len "$output" "${model[@]}" --json)
done
server=$("${rex[@]}" cluster up --silos "$silos" --port 0 --http-port 0 --state "$state" "${model[@]}")
echo "cluster: gateway + $silos expert silos at $server"

printf '\n%-12s %-14s %-14s %-8s\n' concurrency "cluster tok/s" "local tok/s" ratio
for c in $concurrency; do
  cluster=$("${rex[@]}" bench --server "$server" --concurrency "$c" --requests $((4 * c)) --input-len "$input" --output-len "$output" --json)
  python3 - "$c" "$cluster" "${local[$c]}" <<'PY'
import json, sys
c, cluster, local = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
ct, lt = cluster["output_tokens_per_second"], local["output_tokens_per_second"]
print(f"{c:<12} {ct:<14.1f} {lt:<14.1f} {ct / lt:<8.2f}")
p = cluster["step_seconds"]
total = max(p["total"], 1e-9)
share = lambda k: f"{100 * p[k] / total:.0f}%"
print(f"{'':12} step {1000 * total / max(p['steps'], 1):.2f} ms: attention {share('attention')}, dispatch {share('dispatch')}, "
      f"waiting for experts {share('expert_wait')} (silo compute {share('expert_compute')}), combine {share('combine')}, sampling {share('sampling')}")
PY
done
