#!/usr/bin/env bash
# Every supported family at its real width: the local engine on a released model's config.json (bench/models/*) with
# dummy weights (--load-format dummy: drawn on load, nothing downloaded) at fewer layers (--hf-overrides), at batch 1
# and 4; decode tokens/s against the memory roofline (what a step must read over the measured read bandwidth).
# Usage: bench/families.sh [--dtype bfloat16|float32] [--batch-sizes "1 4"] [--models "qwen3-30b-a3b mixtral-8x7b"]
# BANDWIDTH_GBS: the memory read bandwidth to use; default: measured by bench/membw.c (gcc), the larger of 1 and 2 threads.
set -euo pipefail
cd "$(dirname "$0")/.."

dtype=bfloat16
batch_sizes="1 4"
models="dbrx-instruct mixtral-8x7b qwen1.5-moe-a2.7b qwen3-30b-a3b olmoe-1b-7b-0924"
while [ $# -gt 0 ]; do
  case "$1" in
    --dtype) dtype="$2"; shift 2 ;;
    --batch-sizes) batch_sizes="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

# Layers each model keeps: enough that the layers, not the embedding and LM head, dominate a step, within a 24 GiB
# machine in bf16 (a DBRX layer is 6.3 GB, a Mixtral layer 2.8 GB).
declare -A overrides=(
  [dbrx-instruct]='{"n_layers": 1}'
  [mixtral-8x7b]='{"num_hidden_layers": 2}'
  [qwen1.5-moe-a2.7b]='{"num_hidden_layers": 4}'
  [qwen3-30b-a3b]='{"num_hidden_layers": 4}'
  [olmoe-1b-7b-0924]='{"num_hidden_layers": 4}'
)

if [ -z "${BANDWIDTH_GBS:-}" ]; then
  membw=$(mktemp)
  gcc -O3 -march=native -ffast-math -pthread bench/membw.c -o "$membw"
  BANDWIDTH_GBS=$(for t in 1 2; do "$membw" "$t"; done | awk '{ if ($4 > best) best = $4 } END { print best }')
  rm -f "$membw"
fi

dotnet build src/Cli -c Release -v quiet -nologo >/dev/null
rex=(dotnet src/Cli/bin/Release/net10.0/rex.dll)
echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), read bandwidth $BANDWIDTH_GBS GB/s"
for model in $models; do
  for batch in $batch_sizes; do
    echo "$model ${overrides[$model]}: $("${rex[@]}" bench --model "bench/models/$model" --load-format dummy --dtype "$dtype" \
      --hf-overrides "${overrides[$model]}" --batch-size "$batch" --input-len 16 --output-len 16 --warmup-seconds 0 \
      --memory-bandwidth-gbs "$BANDWIDTH_GBS")"
  done
done
