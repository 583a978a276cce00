#!/usr/bin/env bash
# Local single-process engine throughput at several batch sizes (Release build, built-in tiny model unless
# --model is given). Usage: bench/local-throughput.sh [--model DIR] [--input-len I] [--output-len O] [--batch-sizes "1 32"]
set -euo pipefail
cd "$(dirname "$0")/.."

batch_sizes="1 32"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --batch-sizes) batch_sizes="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

dotnet build src/Cli -c Release -v quiet -nologo >/dev/null
rex=(dotnet src/Cli/bin/Release/net10.0/rex.dll)
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for batch in $batch_sizes; do
  "${rex[@]}" bench --batch-size "$batch" "${args[@]}"
done
