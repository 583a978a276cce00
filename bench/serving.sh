#!/usr/bin/env bash
# `rex bench` against the two ways Rex serves: the embedded default (one process, gateway and experts) and a real
# 3-process cluster (gateway + 2 expert silos on loopback), at several concurrencies; prints throughput, TTFT and
# TPOT for each, and the batching gain: throughput at the highest concurrency over throughput at the lowest.
# Usage: bench/serving.sh [--model DIR] [--concurrency "1 8 32"] [--input-len 32] [--output-len 64] [--requests-per-client 3]
set -euo pipefail
cd "$(dirname "$0")/.."

concurrency="1 8 32"; input=32; output=64; per_client=3; model=(); gateway_model=()
while [ $# -gt 0 ]; do
  case "$1" in
    --concurrency) concurrency="$2"; shift 2 ;;
    --input-len) input="$2"; shift 2 ;;
    --output-len) output="$2"; shift 2 ;;
    --requests-per-client) per_client="$2"; shift 2 ;;
    --model) model=(--model "$2"); gateway_model=("--Rex:Model=$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

dotnet build src/Cli -c Release -v quiet -nologo >/dev/null
bin=src/Cli/bin/Release/net10.0
rex=(dotnet "$bin/rex.dll")
state=$(mktemp -d)
gateway_pid=""
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  "${rex[@]}" cluster down --state "$state" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT

echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); input $input, output $output tokens, $per_client requests per client"

run_benches() { # $1: label, $2: server
  local results=()
  # A fresh server runs at full speed only once .NET has compiled its hot code at full optimization, several seconds
  # of load on 2 cores: load it untimed first, batched, as a serving one would have been.
  "${rex[@]}" bench --server "$2" --concurrency 8 --requests 8 --input-len "$input" --output-len "$output" --warmup-seconds 10 \
    >/dev/null 2>&1
  for c in $concurrency; do
    results+=("$("${rex[@]}" bench --server "$2" --concurrency "$c" --requests $((per_client * c)) --input-len "$input" --output-len "$output" --json 2>/dev/null)")
  done
  python3 - "$1" "${results[@]}" <<'PY'
import json, sys
label, runs = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
print(f"\n{label}")
print(f"{'concurrency':<12} {'tok/s':>8} {'req/s':>7} {'TTFT p50':>9} {'TTFT p99':>9} {'TPOT p50':>9} {'TPOT p99':>9}  (ms)")
for r in runs:
    t, p = r["ttft_seconds"], r["tpot_seconds"]
    print(f"{r['concurrency']:<12} {r['output_tokens_per_second']:>8.1f} {r['requests_per_second']:>7.2f} "
          f"{1000 * t['p50']:>9.1f} {1000 * t['p99']:>9.1f} {1000 * p['p50']:>9.1f} {1000 * p['p99']:>9.1f}")
gain = runs[-1]["output_tokens_per_second"] / runs[0]["output_tokens_per_second"]
print(f"batching gain (concurrency {runs[-1]['concurrency']} / {runs[0]['concurrency']}): {gain:.2f}x")
PY
}

# The embedded default, alone on the machine.
log="$state/embedded.log"
dotnet "$bin/Rex.Gateway.dll" --Rex:Port=0 --Rex:HttpPort=0 "${gateway_model[@]}" >"$log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 600); do
  server=$(grep -o 'Rex gateway serving [^ ]* on [^ ]*' "$log" | awk '{print $6}' || true)
  [ -n "$server" ] && break
  kill -0 "$gateway_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done
run_benches "embedded default (one process) at $server" "$server"
kill "$gateway_pid"; wait "$gateway_pid" 2>/dev/null || true; gateway_pid=""

# Then the 3-process cluster.
server=$("${rex[@]}" cluster up --silos 2 --port 0 --http-port 0 --state "$state" "${model[@]}")
run_benches "3-process cluster (gateway + 2 expert silos) at $server" "$server"
