#!/usr/bin/env bash
# Rex on the GPU machine, from the pack bench/gpu/pack.sh made (.gpu/rex-gpu.tar.xz, carried): unpacks it once per
# pack, points it at the machine's own PyTorch libraries (CUDA ones included), then runs the steps asked for.
#   probe  what the machine is; whether TorchSharp's libLibTorchSharp.so (built for libtorch 2.10) binds to this
#          PyTorch's libraries (symbols it needs that they lack, then a real load); then Rex on the device against the
#          tiny fixture in float32: the local engine's and a 3-process cluster's greedy ids vs expected.json
#   rex    the DBRX-shaped model (dummy bf16 weights drawn on the device): a gateway and $REX_GPU_SILOS expert silos on
#          one GPU, rex bench at each concurrency of $REX_GPU_BATCHES, then the local engine on the same GPU
# Figures and logs go to $OUT (default bench/gpu/out).
# Settings (environment): REX_GPU_DEVICE (cuda:0; cpu rehearses the whole script on a machine without a GPU, with
# TORCH_LIB pointing at a libtorch 2.10 folder), REX_GPU_LAYERS (16), REX_GPU_SILOS (3), REX_GPU_BATCHES
# ("1 16 64 256"), REX_GPU_INPUT (128), REX_GPU_OUTPUT (128), REX_GPU_KV_BYTES (8 GiB), REX_GPU_SHAPE
# ("4096 32 8 7168": d_model, heads, KV heads, expert FFN width), TORCH_LIB (default: python3's torch/lib).
# Usage: bench/gpu/rex-on-gpu.sh probe|rex ...
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${OUT:-bench/gpu/out}
mkdir -p "$out"
device=${REX_GPU_DEVICE:-cuda:0}
root=/tmp/rex-gpu
# Unpacked again whenever the carried pack differs from the one unpacked last (a warm machine keeps /tmp).
pack_sum=$(sha256sum .gpu/rex-gpu.tar.xz | cut -d' ' -f1)
if [ "$(cat "$root/pack.sha256" 2>/dev/null)" != "$pack_sum" ]; then
  rm -rf "$root"
  mkdir -p "$root"
  tar -C "$root" -xJf .gpu/rex-gpu.tar.xz
  echo "$pack_sum" > "$root/pack.sha256"
fi
torch_lib=${TORCH_LIB:-$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}
export DOTNET_ROOT=$root/dotnet PATH=$root/dotnet:$PATH LD_LIBRARY_PATH=$torch_lib:${LD_LIBRARY_PATH:-}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 REX_HOME=/tmp/rex-gpu-home
rex=(dotnet "$root/app/rex.dll")
binding=$root/app/runtimes/linux-x64/native/libLibTorchSharp.so
fixture=tests/fixtures/dbrx-tiny

# The fixture's prompts and greedy ids, one "prompt-csv greedy-csv" line each.
fixture_cases() {
  python3 -c 'import json, sys
for case in json.load(open(sys.argv[1])):
    print(",".join(map(str, case["prompt_ids"])), ",".join(map(str, case["greedy_ids"])))' "$fixture/expected.json"
}

# Greedy ids of `rex generate ARGS... --token-ids PROMPT` against each case; prints a verdict per case, fails on any miss.
check_greedy() {
  local label=$1 failed=0 prompt expected got
  shift
  while read -r prompt expected; do
    got=$("${rex[@]}" generate "$@" --token-ids "$prompt" --max-tokens 16 --ignore-eos --json |
      python3 -c 'import json, sys; print(",".join(map(str, json.load(sys.stdin)["token_ids"])))')
    if [ "$got" = "$expected" ]; then echo "$label: $prompt -> match"; else echo "$label: $prompt -> $got, expected $expected"; failed=1; fi
  done < <(fixture_cases)
  return $failed
}

probe() {
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' || true
  echo "libtorch folder: $torch_lib"
  # Every symbol the binding needs from libtorch/c10 that this PyTorch does not define: none means it binds.
  if command -v nm >/dev/null; then
    nm -D --undefined-only "$binding" | awk '{ print $NF }' | sed 's/@.*//' | sort -u > "$out/binding-needs.txt"
    for lib in "$torch_lib"/libtorch*.so "$torch_lib"/libc10*.so; do nm -D --defined-only "$lib" 2>/dev/null; done |
      awk '{ print $NF }' | sed 's/@.*//' | sort -u > "$out/torch-defines.txt"
    comm -23 "$out/binding-needs.txt" "$out/torch-defines.txt" | grep -E '^_ZN?K?(2at|3c10|5torch|6caffe2)|^_ZN(2at|3c10|5torch)' |
      c++filt > "$out/binding-missing.txt" || true
    echo "binding: $(wc -l < "$out/binding-needs.txt") symbols needed, $(wc -l < "$out/binding-missing.txt") of torch's missing" \
      "($out/binding-missing.txt)"
    head -20 "$out/binding-missing.txt"
  fi
  "${rex[@]}" generate --device "$device" --token-ids 1,2,3 --max-tokens 2 --json
  check_greedy "local engine on $device" --model "$fixture" --device "$device" || echo "local engine on $device: MISMATCH"
  local state url
  state=$(mktemp -d)
  url=$(start_cluster "$state" --silos 2 --model "$fixture" --gateway-arg Rex:KvCacheBytes=1073741824)
  check_greedy "cluster on $device" --server "$url" || echo "cluster on $device: MISMATCH"
  stop_cluster "$state"
}

# `rex cluster up` on $device (gateway and expert silos) with ARGS...; prints the gateway's address, or the processes'
# logs and fails.
start_cluster() {
  local state=$1
  shift
  "${rex[@]}" cluster up --devices "$device" --gateway-arg "Rex:GatewayDevice=$device" --port 0 --http-port 0 \
    --state "$state" "$@" | tail -1 || { tail -n 30 "$state"/*.log >&2; return 1; }
}

# Stops the cluster and keeps its logs with the figures.
stop_cluster() {
  "${rex[@]}" cluster down --state "$1" >/dev/null
  cp "$1"/*.log "$out/" 2>/dev/null || true
}

# config.json of the benchmark's DBRX-shaped model; only the config: the weights are drawn (--load-format dummy).
write_config() {
  local dir=$1 layers=${REX_GPU_LAYERS:-16}
  read -r d heads kv ffn <<< "${REX_GPU_SHAPE:-4096 32 8 7168}"
  mkdir -p "$dir"
  python3 - "$dir/config.json" "$d" "$heads" "$kv" "$ffn" "$layers" <<'PY'
import json, sys
path, d, heads, kv, ffn, layers = sys.argv[1], *map(int, sys.argv[2:])
json.dump({
    "architectures": ["DbrxForCausalLM"], "model_type": "dbrx", "d_model": d, "n_heads": heads, "n_layers": layers,
    "max_seq_len": 4096, "vocab_size": 100352, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "attn_config": {"kv_n_heads": kv, "rope_theta": 500000, "clip_qkv": 8},
    "ffn_config": {"ffn_hidden_size": ffn, "moe_num_experts": 16, "moe_top_k": 4, "moe_normalize_expert_weights": 1},
}, open(path, "w"), indent=1)
PY
}

rex_bench() {
  local model=/tmp/rex-gpu-model state batches=${REX_GPU_BATCHES:-1 16 64 256}
  local input=${REX_GPU_INPUT:-128} output=${REX_GPU_OUTPUT:-128} silos=${REX_GPU_SILOS:-3}
  write_config "$model"
  state=$(mktemp -d)
  local started=$SECONDS url
  url=$(start_cluster "$state" --silos "$silos" --model "$model" --load-format dummy --dtype bfloat16 --torch-threads 2 \
    --timeout 600 --gateway-arg "Rex:KvCacheBytes=${REX_GPU_KV_BYTES:-8589934592}")
  echo "cluster up in $((SECONDS - started)) s: $url"
  nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader || true
  "${rex[@]}" bench --server "$url" --concurrency 8 --requests 8 --input-len "$input" --output-len 16 --warmup-seconds 5 >/dev/null 2>&1
  for b in $batches; do
    "${rex[@]}" bench --server "$url" --concurrency "$b" --requests "$b" --input-len "$input" --output-len "$output" \
      --warmup-seconds 0 --json 2>/dev/null > "$out/rex-cluster-c$b.json"
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("cluster c" + sys.argv[2], json.dumps(r))' \
      "$out/rex-cluster-c$b.json" "$b"
  done
  stop_cluster "$state"
  for b in $batches; do
    "${rex[@]}" bench --model "$model" --load-format dummy --dtype bfloat16 --device "$device" --batch-size "$b" \
      --input-len "$input" --output-len "$output" --warmup-seconds 2 --json > "$out/rex-local-b$b.json" || break
    python3 -c 'import json, sys; print("local b" + sys.argv[2], open(sys.argv[1]).read().strip())' "$out/rex-local-b$b.json" "$b"
  done
}

for step in "$@"; do
  case "$step" in
    probe) probe ;;
    rex) rex_bench ;;
    *) echo "unknown step $step (probe, rex)" >&2; exit 2 ;;
  esac
done 2>&1 | tee -a "$out/rex-on-gpu.log"
