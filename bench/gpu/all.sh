#!/usr/bin/env bash
# The whole GPU run in one call: from the repository root on the device machine, with the pack carried
# (`carry: [".gpu"]`, made here by bench/gpu/pack.sh). Every step runs under `timeout` within one total budget; a step
# that cannot fit what is left is skipped with its reason, so a slow step costs the steps after it, never the run.
# Steps, the most important first (bench/gpu/README.md says what each answers):
#   setup        the machine (nvidia-smi, python's torch), the pack unpacked, the layer count sized from memory
#   binding      TorchSharp's libLibTorchSharp.so (built for libtorch 2.10) against this PyTorch: the symbols it needs
#                that the libraries lack, then a real load and generate on the device
#   rebuild      only if that failed (or REX_GPU_REBUILD=always): build-binding.sh against this PyTorch, then again
#   parity       parity.py: every fixture, local engine and cluster, float32 and bfloat16
#   bandwidth    the device's copy bandwidth (dbrx_torch.py --measure-bandwidth), for the roofline
#   rex_local    rex bench, local engine, at each batch size, on the DBRX-width model (dummy bf16 weights)
#   rex_cluster  rex bench on a gateway and expert silos sharing the device, each concurrency, with the step profile
#   torch        dbrx_torch.py: its fixture check, then eager and CUDA-graph decode on the same model
#   rex_embedded rex bench on the embedded default: one gateway process that hosts every expert itself (in process)
#   hf           transformers' generate on the same model, only when a minute or more is left
# Output, in $OUT (default bench/gpu/out), three files: all.log (everything printed), KIND-DATE.json (the results,
# rewritten after every step; report.py says what it holds) and details.tar.gz (every step's log and JSON).
# Settings (environment): REX_GPU_BUDGET (seconds, 360), REX_GPU_DEVICE (cuda:0; cpu rehearses the run on a machine
# without a GPU, see rehearse.sh), REX_GPU_SHAPE ("6144 48 8 10752": d_model, heads, KV heads, expert FFN width),
# REX_GPU_LAYERS (default: what fits a KV cache of REX_GPU_KV_BATCH (64) x REX_GPU_KV_TOKENS (2048) tokens),
# REX_GPU_BATCHES ("1 8 64"), REX_GPU_CLUSTER_BATCHES (rex_cluster's; default REX_GPU_BATCHES), REX_GPU_INPUT (128), REX_GPU_OUTPUT (128), REX_GPU_SILOS (2), REX_GPU_REBUILD
# (auto|always|never), REX_GPU_PARITY_CASES (prompts per fixture; default all), REX_GPU_PARITY_CLUSTER_BF16 (0 skips
# the bf16 clusters, which parity records but does not judge; default 1), REX_GPU_STEPS (the steps to run, e.g.
# "binding rex_cluster torch" for a rerun; setup always runs; default all), REX_GPU_TORCH_THREADS (each cluster process's, 2),
# REX_GPU_PYTHON (python3), TORCH_LIB (the libtorch folder Rex binds to; default python's torch/lib), REX_GPU_PACK_DIR
# (.gpu), REX_GPU_ROOT (where the pack is unpacked, /tmp/rex-gpu), REX_GPU_WORK (/tmp/rex-gpu-run).
# Usage: bench/gpu/all.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
here=bench/gpu
work=${REX_GPU_WORK:-/tmp/rex-gpu-run}
out=${OUT:-$here/out}
py=${REX_GPU_PYTHON:-python3}
device=${REX_GPU_DEVICE:-cuda:0}
torch_device=$([[ $device == cuda* ]] && echo cuda || echo cpu)
batches=${REX_GPU_BATCHES:-1 8 64}
cluster_batches=${REX_GPU_CLUSTER_BATCHES:-$batches} # the cluster's concurrencies (a rerun may want only some)
input=${REX_GPU_INPUT:-128}
output=${REX_GPU_OUTPUT:-128}
read -r d_model heads kv_heads ffn <<< "${REX_GPU_SHAPE:-6144 48 8 10752}"
pack=${REX_GPU_PACK_DIR:-.gpu}
root=${REX_GPU_ROOT:-/tmp/rex-gpu} # the unpacked pack
rex=("$root/dotnet/dotnet" "$root/app/rex.dll") # with the libtorch folder on its library path once setup has run
shape=(--d-model "$d_model" --n-heads "$heads" --kv-heads "$kv_heads" --ffn "$ffn" --experts 16 --top-k 4 --vocab 100352)

# --- the steps; each runs as `all.sh --step NAME` under timeout, with what setup found in $work/env.sh ------------

step_setup() {
  rm -rf "$root" && mkdir -p "$root"
  [ -f "$pack/rex-gpu.tar.xz" ] || { echo "no $pack/rex-gpu.tar.xz: run bench/gpu/pack.sh and carry $pack"; return 1; }
  local gpu="" memory_mib=0 torch_lib layers
  if [ "$torch_device" = cuda ]; then
    gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits | head -1) ||
      { echo "nvidia-smi failed: $gpu"; return 1; }
    memory_mib=$(cut -d, -f2 <<< "$gpu" | tr -d ' ')
    echo "gpu: $gpu"
  fi
  "$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' \
    2>/dev/null | tee "$work/torch.txt" || echo "python3 has no torch"
  tar -C "$root" -xJf "$pack/rex-gpu.tar.xz" || return 1
  torch_lib=${TORCH_LIB:-$("$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)}
  [ -d "$torch_lib" ] || { echo "no libtorch folder: set TORCH_LIB (python's torch has none here)"; return 1; }
  # The pip wheels' CUDA libraries (cuBLAS, cuDNN, ...) beside torch, for a libtorch_cuda.so loaded outside python.
  local libs=$torch_lib
  for dir in "$torch_lib"/../../nvidia/*/lib "$torch_lib"/../../nvidia/*/*/lib; do [ -d "$dir" ] && libs+=:$(readlink -f "$dir"); done
  if [ -n "${REX_GPU_LAYERS:-}" ]; then layers=$REX_GPU_LAYERS
  elif [ "$torch_device" = cuda ]; then
    layers=$("$py" $here/dbrx_shape.py layers --memory-mib "$memory_mib" "${shape[@]}" \
      --batch "${REX_GPU_KV_BATCH:-64}" --tokens "${REX_GPU_KV_TOKENS:-2048}")
  else layers=2
  fi
  # Only Rex's processes get the libtorch folder: python's torch brings its own.
  cat > "$work/env.sh" <<EOF
export DOTNET_ROOT=$root/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 REX_HOME=$root/home
layers=$layers torch_lib=$torch_lib
rex=(env "LD_LIBRARY_PATH=$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" "$root/dotnet/dotnet" "$root/app/rex.dll")
EOF
  "$py" - "$work/machine.json" <<EOF
import json, sys
gpu = [s.strip() for s in """$gpu""".split(",")] if """$gpu""" else []
json.dump({"device": gpu[0] if gpu else "cpu", "requested_device": "$device", "memory_mib": int(gpu[1]) if gpu else None,
           "driver": gpu[2] if gpu else None, "torch": open("$work/torch.txt").read().strip() or None,
           "libtorch": "$torch_lib", "layers": $layers, "shape": {"d_model": $d_model, "n_heads": $heads,
           "kv_heads": $kv_heads, "ffn": $ffn, "experts": 16, "top_k": 4, "vocab": 100352}, "dtype": "bfloat16",
           "batches": [int(b) for b in "$batches".split()], "input_len": $input, "output_len": $output,
           "silos": ${REX_GPU_SILOS:-2}, "kv_sizing": {"batch": ${REX_GPU_KV_BATCH:-64}, "tokens": ${REX_GPU_KV_TOKENS:-2048}},
           "budget_s": ${REX_GPU_BUDGET:-360}, "cores": $(nproc)}, open(sys.argv[1], "w"), indent=1)
EOF
  echo "layers: $layers$([ "$layers" -lt 8 ] && [ "$torch_device" = cuda ] && echo ' (fewer than the 8 asked for)')"
}

# Rex on the device, twice over: the built-in model (float32), the dbrx fixture (bf16 logits). The verdict goes into
# binding.json under KEY: "ok", or the end of what the calls printed.
smoke() {
  local key=$1 log=$work/$1.log
  if "${rex[@]}" generate --device "$device" --token-ids 1,2,3 --max-tokens 2 --json > "$log" 2>&1 &&
    "${rex[@]}" logits --model tests/fixtures/dbrx-tiny --device "$device" --dtype bfloat16 --token-ids 100257 \
      --top 3 >> "$log" 2>&1; then
    cat "$log"
    binding_json "$key" '"ok"'
    return 0
  fi
  cat "$log"
  binding_json "$key" "$(tail -c 1500 "$log" | json_string)"
  return 1
}

# stdin as a JSON string; the value of one key of a JSON file's object (None where it has none).
json_string() { "$py" -c 'import json, sys; print(json.dumps(sys.stdin.read()))'; }
json_field() { "$py" -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

# What the binding step found, as JSON: binding.json (missing symbols, whether the smoke ran).
binding_json() {
  "$py" - "$work/binding.json" "$@" <<'EOF'
import json, os, sys
path, key, value = sys.argv[1], sys.argv[2], sys.argv[3]
report = json.load(open(path)) if os.path.exists(path) else {}
report[key] = json.loads(value)
json.dump(report, open(path, "w"), indent=1)
EOF
}

step_binding() {
  local lib=$root/app/runtimes/linux-x64/native/libLibTorchSharp.so
  # Every libtorch/c10 symbol the binding needs that this PyTorch does not define: none means every call binds.
  nm -D --undefined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' | sort -u > "$work/binding-needs.txt"
  for l in "$torch_lib"/libtorch*.so "$torch_lib"/libc10*.so; do nm -D --defined-only "$l" 2>/dev/null; done |
    awk '{ print $NF }' | sed 's/@.*//' | sort -u > "$work/torch-defines.txt"
  comm -23 "$work/binding-needs.txt" "$work/torch-defines.txt" | grep -E '^_ZN?K?(2at|3c10|5torch|6caffe2)' |
    c++filt > "$work/binding-missing.txt"
  rm -f "$work/torch-defines.txt" # tens of MB: not worth carrying back
  local missing
  missing=$(wc -l < "$work/binding-missing.txt")
  echo "binding: needs $(wc -l < "$work/binding-needs.txt") symbols; $missing of libtorch's are missing here"
  head -20 "$work/binding-missing.txt"
  binding_json missing_symbols "$missing"
  binding_json missing_sample "$(head -40 "$work/binding-missing.txt" | json_string)"
  # Calls bind lazily: a missing symbol fails only the call that needs it, so the smoke on the device decides.
  smoke smoke
}

step_rebuild() {
  local started=$SECONDS
  REX_GPU_PACK_DIR=$pack bash $here/build-binding.sh "$root" || return 1
  binding_json rebuilt "$((SECONDS - started))"
  smoke smoke_after_rebuild
}

step_parity() {
  local cases=()
  [ -n "${REX_GPU_PARITY_CASES:-}" ] && cases=(--cases "$REX_GPU_PARITY_CASES")
  [ "${REX_GPU_PARITY_CLUSTER_BF16:-1}" = 0 ] && cases+=(--no-cluster-bf16)
  "$py" -u $here/parity.py --rex "${rex[*]}" --device "$device" --work "$work" --json "$work/parity.json" \
    --silos "${REX_GPU_SILOS:-2}" "${cases[@]}"
}

step_bandwidth() {
  "$py" -u $here/dbrx_torch.py --measure-bandwidth --device "$torch_device" --json "$work/bandwidth.json"
}

# config.json of the benchmark's DBRX-width model; only the config: the weights are drawn (--load-format dummy).
write_config() {
  mkdir -p "$work/model"
  "$py" - "$work/model/config.json" "$d_model" "$heads" "$kv_heads" "$ffn" "$layers" <<'EOF'
import json, sys
path, d, heads, kv, ffn, layers = sys.argv[1], *map(int, sys.argv[2:])
json.dump({
    "architectures": ["DbrxForCausalLM"], "model_type": "dbrx", "d_model": d, "n_heads": heads, "n_layers": layers,
    "max_seq_len": 2048, "vocab_size": 100352, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "attn_config": {"kv_n_heads": kv, "rope_theta": 500000, "clip_qkv": 8},
    "ffn_config": {"ffn_hidden_size": ffn, "moe_num_experts": 16, "moe_top_k": 4, "moe_normalize_expert_weights": 1},
}, open(path, "w"), indent=1)
EOF
}

# What the device holds before a step that needs most of it (a process an earlier step left would show here).
gpu_memory() {
  [ "$torch_device" = cuda ] && echo "device memory in use: $(nvidia-smi --query-gpu=memory.used --format=csv,noheader)"
  return 0
}

step_rex_local() {
  write_config
  gpu_memory
  for b in $batches; do
    "${rex[@]}" bench --model "$work/model" --load-format dummy --dtype bfloat16 --device "$device" --batch-size "$b" \
      --input-len "$input" --output-len "$output" --warmup-seconds 0 --json > "$work/rex-local-b$b.json" || return 1
    echo "local engine, batch $b: $(cat "$work/rex-local-b$b.json")"
  done
}

step_rex_cluster() {
  write_config
  gpu_memory
  local state=$work/clusters/speed url head_dim=$((d_model / heads))
  mkdir -p "$state"
  # The gateway's paged KV cache holds REX_GPU_KV_BATCH sequences of REX_GPU_KV_TOKENS at every layer, as sized.
  local kv_bytes=$((2 * ${REX_GPU_KV_BATCH:-64} * ${REX_GPU_KV_TOKENS:-2048} * kv_heads * head_dim * 2 * layers))
  local left=$((${REX_GPU_STEP_DEADLINE:-$(($(date +%s) + 600))} - $(date +%s)))
  # localhost membership: the pack leaves out the embedded store (see pack.sh).
  url=$("${rex[@]}" cluster up --silos "${REX_GPU_SILOS:-2}" --membership localhost --devices "$device" --port 0 --http-port 0 \
    --gateway-arg "Rex:GatewayDevice=$device" --gateway-arg "Rex:KvCacheBytes=$kv_bytes" --state "$state" \
    --model "$work/model" --load-format dummy --dtype bfloat16 --torch-threads "${REX_GPU_TORCH_THREADS:-2}" \
    --timeout "$((left > 30 ? left - 10 : 20))" | tail -1) || { tail -n 20 "$state"/*.log; return 1; }
  echo "cluster up: $url"
  [ "$torch_device" = cuda ] && nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader
  for c in $cluster_batches; do
    "${rex[@]}" bench --server "$url" --concurrency "$c" --requests "$c" --input-len "$input" --output-len "$output" \
      --warmup-seconds 0 --json > "$work/rex-cluster-c$c.json" 2> "$work/rex-cluster-c$c.err" ||
      { tail -c 2000 "$work/rex-cluster-c$c.err"; return 1; } # stderr: the progress bar, and any error
    echo "cluster, concurrency $c: $(cat "$work/rex-cluster-c$c.json")"
  done
}

# The quick start's layout at DBRX width: one gateway process with both roles on the device, its experts called in
# process (no serialization, no loopback gRPC), loaded as rex_cluster loads its cluster.
step_rex_embedded() {
  write_config
  gpu_memory
  local log=$work/embedded.log url="" head_dim=$((d_model / heads)) deadline
  local kv_bytes=$((2 * ${REX_GPU_KV_BATCH:-64} * ${REX_GPU_KV_TOKENS:-2048} * kv_heads * head_dim * 2 * layers))
  "${rex[@]:0:3}" "$root/app/Rex.Gateway.dll" --Rex:Model="$work/model" --Rex:LoadFormat=dummy --Rex:DType=bfloat16 \
    --Rex:Devices="$device" --Rex:GatewayDevice="$device" --Rex:KvCacheBytes="$kv_bytes" --Rex:Port=0 --Rex:HttpPort=0 \
    --Rex:TorchThreads="${REX_GPU_TORCH_THREADS:-2}" --Logging:LogLevel:Orleans=Warning > "$log" 2>&1 &
  deadline=$((${REX_GPU_STEP_DEADLINE:-$(($(date +%s) + 600))} - 10))
  while [ -z "$url" ]; do
    url=$(grep -oP 'Rex gateway serving \S+ on \K\S+' "$log" | head -1)
    if [ "$(date +%s)" -gt "$deadline" ] || ! kill -0 $! 2>/dev/null; then tail -n 20 "$log"; return 1; fi
    sleep 1
  done
  echo "embedded gateway: $url"
  # Ready once a request is served: the experts activate in the gateway's own silo after it starts listening.
  until "${rex[@]}" generate --server "$url" --token-ids 1,2,3 --max-tokens 2 > /dev/null 2>&1; do
    if [ "$(date +%s)" -gt "$deadline" ] || ! kill -0 $! 2>/dev/null; then tail -n 20 "$log"; return 1; fi
    sleep 2
  done
  for c in $batches; do
    "${rex[@]}" bench --server "$url" --concurrency "$c" --requests "$c" --input-len "$input" --output-len "$output" \
      --warmup-seconds 0 --json > "$work/rex-embedded-c$c.json" 2> "$work/rex-embedded-c$c.err" ||
      { tail -c 2000 "$work/rex-embedded-c$c.err"; return 1; }
    echo "embedded, concurrency $c: $(cat "$work/rex-embedded-c$c.json")"
  done
}

step_torch() {
  gpu_memory
  "$py" -u $here/dbrx_torch.py --check-fixture tests/fixtures/dbrx-tiny --device "$torch_device" > "$work/torch-fixture.log" 2>&1
  echo "dbrx_torch fixture check: exit $?" | tee -a "$work/torch-fixture.log"
  local bandwidth=()
  [ -f "$work/bandwidth.json" ] && bandwidth=(--bandwidth-gbs "$(json_field "$work/bandwidth.json" bandwidth_gbs)")
  "$py" -u $here/dbrx_torch.py "${shape[@]}" --layers "$layers" --batch-sizes "${batches// /,}" --input-len "$input" \
    --output-len "$output" --dtype bfloat16 --device "$torch_device" --modes eager,graph "${bandwidth[@]}" \
    --json "$work/dbrx_torch.json"
}

step_hf() {
  "$py" -u $here/hf_generate.py "${shape[@]}" --layers "$layers" --batch-sizes "${batches// /,}" --input-len "$input" \
    --output-len "$output" --dtype bfloat16 --device "$torch_device" --attn-implementation sdpa --json "$work/hf_sdpa.json"
}

# Why a step should not run (printed), or nothing.
skip_reason() {
  case $1 in
    rebuild)
      if [ "${REX_GPU_REBUILD:-auto}" = never ]; then echo "REX_GPU_REBUILD=never"
      elif [ "${REX_GPU_REBUILD:-auto}" != always ] && binding_ran; then echo "not needed: the shipped binding ran on $device"
      elif [ ! -f "$pack/torchsharp-native.tar.xz" ]; then
        echo "no $pack/torchsharp-native.tar.xz (pack.sh --binding-source) to build from"
      fi ;;
    parity | rex_local | rex_cluster | rex_embedded) binding_ran || echo "Rex does not run on $device (binding step)" ;;
    bandwidth | torch) "$py" -c 'import torch' 2>/dev/null || echo "$py has no torch" ;;
    hf)
      if ! "$py" -c 'import torch, transformers' 2>/dev/null; then echo "$py has no torch and transformers"
      elif [ "$(left)" -lt 70 ]; then echo "only $(left) s left (transformers runs only with a minute to spare)"
      fi ;;
  esac
}

binding_ran() {
  [ "$(json_field "$work/binding.json" smoke)" = ok ] || [ "$(json_field "$work/binding.json" smoke_after_rebuild)" = ok ]
}

if [ "${1:-}" = --step ]; then
  [ -f "$work/env.sh" ] && source "$work/env.sh"
  "step_$2"
  exit
fi

# --- the run -------------------------------------------------------------------------------------------------------

# name, most seconds it may take (of a 360 s budget), and the seconds it keeps for itself from the steps before it
plan=("setup 60 10" "binding 60 15" "rebuild 200 0" "parity 90 20" "bandwidth 30 5" "rex_local 100 30"
  "rex_cluster 130 40" "torch 90 30" "rex_embedded 100 30" "hf 150 0")
deadline=$(($(date +%s) + ${REX_GPU_BUDGET:-360}))
left() { echo $((deadline - $(date +%s))); }

# Stops every cluster a step started (their processes live in sessions of their own, which timeout cannot reach).
reap() {
  [ -f "$work/env.sh" ] && source "$work/env.sh"
  for state in "$work"/clusters/*/; do
    [ -f "$state/cluster.json" ] && timeout 20 "${rex[@]}" cluster down --state "$state" > /dev/null 2>&1
  done
  # A process a `cluster up` cut short by the step's limit had started but not yet written down is in no state: every
  # Rex process runs from the pack's app folder, and none may outlive the step that started it.
  pkill -KILL -f "$root/app/" 2> /dev/null
  return 0
}

record() { # name status seconds timeout reason
  "$py" -c 'import json, sys; print(json.dumps(dict(zip(["name", "status", "seconds", "timeout_s", "reason"], sys.argv[1:]))))' \
    "$@" >> "$work/steps.jsonl"
}

report() {
  "$py" $here/report.py --work "$work" --out "$out" "$@"
  tar -C "$work" -czf "$out/details.tar.gz" --exclude=./model . 2>/dev/null
}

run() {
  local i name cap floor reserve limit reason started status
  for i in "${!plan[@]}"; do
    read -r name cap floor <<< "${plan[$i]}"
    cap=$((cap * ${REX_GPU_BUDGET:-360} / 360)) # caps are set for 360 s; a longer budget (a slow CPU) stretches them
    reserve=5
    for later in "${plan[@]:$((i + 1))}"; do reserve=$((reserve + $(awk '{ print $3 }' <<< "$later"))); done
    limit=$(($(left) - reserve))
    [ "$limit" -gt "$cap" ] && limit=$cap
    if [ "$name" != setup ] && [ -n "${REX_GPU_STEPS:-}" ] && [[ " $REX_GPU_STEPS " != *" $name "* ]]; then
      reason="not in REX_GPU_STEPS"
    elif [ "$name" = setup ] || [ -f "$work/env.sh" ]; then reason=$(skip_reason "$name")
    else reason="setup failed"
    fi
    if [ -z "$reason" ] && [ "$limit" -lt "$((floor > 10 ? floor : 10))" ]; then
      reason="budget: $(left) s left, $reserve s kept for later steps"
    fi
    if [ -n "$reason" ]; then
      echo "=== $name: skipped: $reason"
      record "$name" skipped 0 0 "$reason"
      continue
    fi
    echo "=== $name (up to $limit s; $(left) s left)"
    started=$(date +%s)
    REX_GPU_STEP_DEADLINE=$((started + limit)) timeout -k 5 "$limit" bash "$0" --step "$name" 2>&1 | tee "$work/$name.log"
    status=${PIPESTATUS[0]}
    reap
    case $status in
      0) record "$name" ok "$(($(date +%s) - started))" "$limit" "" ;;
      124 | 137) record "$name" timeout "$(($(date +%s) - started))" "$limit" "ran past its $limit s" ;;
      *) record "$name" failed "$(($(date +%s) - started))" "$limit" \
        "exit $status: $(grep -v '^\s*$' "$work/$name.log" | tail -1 | cut -c1-300)" ;;
    esac
    report > /dev/null
  done
  report --summary
}

reap # a cluster an earlier run on this machine left (a call stopped at its limit), before its memory is counted
rm -rf "$work" && mkdir -p "$work" "$out"
export REX_GPU_WORK=$work
trap reap EXIT
run 2>&1 | tee "$out/all.log"
