#!/usr/bin/env bash
# The fallback when bench/gpu/rex-on-gpu.sh probe finds libLibTorchSharp.so (built by TorchSharp 0.107 for libtorch
# 2.10) needing symbols the GPU machine's PyTorch lacks: rebuilds it there from TorchSharp 0.107's native sources
# (.gpu/torchsharp-native.tar.xz, packed by `bench/gpu/pack.sh --binding-source TORCHSHARP_CHECKOUT`) against that
# PyTorch's headers and libraries, with its C++ ABI, and puts it in place of the unpacked one. Untested until a GPU
# session runs it: its log says whether it compiled.
# Usage: bench/gpu/build-binding.sh   (after rex-on-gpu.sh has unpacked the pack into /tmp/rex-gpu)
set -euo pipefail
cd "$(dirname "$0")/../.."

root=/tmp/rex-gpu
build=/tmp/rex-gpu-binding
rm -rf "$build" && mkdir -p "$build/obj"
tar -C "$build" -xJf .gpu/torchsharp-native.tar.xz
torch=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
src=$build/src/Native
flags=(-O2 -fPIC -std=c++17 -D_GLIBCXX_USE_CXX11_ABI="$abi" -DNDEBUG -w -I"$build" -I"$src" -I"$src/LibTorchSharp"
  -I"$torch/include" -I"$torch/include/torch/csrc/api/include")
started=$SECONDS
for file in "$src"/LibTorchSharp/*.cpp; do
  echo "g++ ${flags[*]} -c $file -o $build/obj/$(basename "$file" .cpp).o"
done | xargs -P "$(nproc)" -I{} sh -c '{}'
gcc -O2 -fPIC -msse4.2 -c "$src/LibTorchSharp/crc32c.c" -o "$build/obj/crc32c.o"
libs=(-ltorch -ltorch_cpu -lc10)
[ -f "$torch/lib/libtorch_cuda.so" ] && libs+=(-ltorch_cuda -lc10_cuda)
g++ -shared -o "$build/libLibTorchSharp.so" "$build"/obj/*.o -L"$torch/lib" "${libs[@]}" -Wl,-rpath,"\$ORIGIN"
cp "$build/libLibTorchSharp.so" "$root/app/runtimes/linux-x64/native/libLibTorchSharp.so"
echo "rebuilt libLibTorchSharp.so against torch $(python3 -c 'import torch; print(torch.__version__)') in $((SECONDS - started)) s"
