#!/usr/bin/env bash
# The peer benchmarks for Rex's GPU run, in the order that makes a bad run fail fast: the two fixture checks,
# the decode self-test on the device, then the plain-PyTorch benchmark and the transformers one at the same
# layer count. Figures land in $OUT (default bench/gpu/out) as JSON next to a log of everything printed.
# Usage: [LAYERS=N] bench/gpu/run-peers.sh [checks|torch|compile|hf|all]   (default all; compile is separate: slow)
# LAYERS: the depth dbrx_torch runs (default: REX_GPU_LAYERS, else 16, Rex's own depth in rex-on-gpu.sh; auto: what
# fits batch 256 with 10% headroom). compile and hf reuse dbrx_torch's, so every figure is of the same model.
set -euo pipefail
cd "$(dirname "$0")/../.."
stage="${1:-all}"
out="${OUT:-bench/gpu/out}"
mkdir -p "$out"
py=(python3 -u)
size=(--d-model 4096 --n-heads 32 --kv-heads 8 --ffn 7168 --experts 16 --top-k 4 --vocab 100352
      --batch-sizes 1,16,64,256 --input-len 128 --output-len 128 --dtype bfloat16 --device cuda)

checks() {
  "${py[@]}" bench/gpu/dbrx_torch.py --check-fixture tests/fixtures/dbrx-tiny --device cuda
  for dtype in float32 bfloat16; do  # fp32: exact agreement; bf16: 95% (near-tied routing may flip)
    "${py[@]}" bench/gpu/dbrx_torch.py --verify-decode --device cuda --dtype $dtype --modes eager,static,graph \
      --d-model 512 --n-heads 8 --kv-heads 2 --ffn 384 --experts 16 --top-k 4 --layers 2 --vocab 4096 \
      --input-len 40 --output-len 24 --verify-batch 20
  done
  # transformers' verdict is reported, not fatal: its numbers are still wanted, labelled with the verdict.
  "${py[@]}" bench/gpu/hf_generate.py --check-fixture tests/fixtures/dbrx-tiny --device cuda || echo "hf fixture check: FAIL"
}

layers() {  # the layer count dbrx_torch chose, so every peer runs the same model
  if [ -f "$out/dbrx_torch.json" ]; then
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["conditions"]["layers"])' "$out/dbrx_torch.json"
  else
    echo auto
  fi
}

torch_bench() {
  "${py[@]}" bench/gpu/dbrx_torch.py "${size[@]}" --layers "${LAYERS:-${REX_GPU_LAYERS:-16}}" --modes eager,static,graph \
    --json "$out/dbrx_torch.json"
}

compile_bench() {  # static first, so the compiled tokens are compared with the uncompiled ones
  "${py[@]}" bench/gpu/dbrx_torch.py "${size[@]}" --layers "$(layers)" --modes static,compile \
    --json "$out/dbrx_torch_compile.json"
}

hf_bench() {
  "${py[@]}" bench/gpu/hf_generate.py "${size[@]}" --layers "$(layers)" --attn-implementation sdpa --json "$out/hf_sdpa.json"
}

case "$stage" in
  checks) checks ;;
  torch) torch_bench ;;
  compile) compile_bench ;;
  hf) hf_bench ;;
  all) checks; torch_bench; hf_bench ;;
  *) echo "unknown stage $stage" >&2; exit 2 ;;
esac 2>&1 | tee -a "$out/log.txt"
