#!/usr/bin/env bash
# all.sh's rebuild step, for when TorchSharp 0.107's libLibTorchSharp.so (built for libtorch 2.10) does not run against
# the GPU machine's PyTorch: rebuilds it there from TorchSharp 0.107.0's native sources (.gpu/torchsharp-native.tar.xz,
# packed by `bench/gpu/pack.sh --binding-source TORCHSHARP_CLONE`) against that PyTorch's headers and libraries, with
# its C++ ABI, and puts it in place of the unpacked one. The sources are those TorchSharp's own CMakeLists.txt builds
# (not every .cpp in the folder: THSConvolution.cpp is left out there). Untested until a GPU session runs it: its log
# says whether it compiled.
# Usage: bench/gpu/build-binding.sh [UNPACKED_PACK]   (default /tmp/rex-gpu, where all.sh unpacks the pack)
set -euo pipefail
cd "$(dirname "$0")/../.."

root=${1:-/tmp/rex-gpu}
py=${REX_GPU_PYTHON:-python3}
build=/tmp/rex-gpu-binding
rm -rf "$build" && mkdir -p "$build/obj"
tar -C "$build" -xJf "${REX_GPU_PACK_DIR:-.gpu}/torchsharp-native.tar.xz"
torch=$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
abi=$("$py" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
src=$build/src/Native/LibTorchSharp
flags=(-O2 -fPIC -std=c++17 -D_GLIBCXX_USE_CXX11_ABI="$abi" -DNDEBUG -w -I"$build/src/Native" -I"$src"
  -I"$torch/include" -I"$torch/include/torch/csrc/api/include")
sources=$(grep -oE '^\s*\S+\.(cpp|c)\s*$' "$src/CMakeLists.txt" | tr -d ' \t\r')
started=$SECONDS
echo "compiling $(wc -w <<< "$sources") sources, $(nproc) at a time, with $(g++ --version | head -1)"
for file in $sources; do
  case $file in
    *.cpp) echo "g++ ${flags[*]} -c $src/$file -o $build/obj/${file%.cpp}.o" ;;
    *.c) echo "gcc -O2 -fPIC -msse4.2 -c $src/$file -o $build/obj/${file%.c}.o" ;;
  esac
done | xargs -P "$(nproc)" -I{} sh -c '{} && echo "compiled ${0##*/}"' {} # $0: the command, ending in its object
libs=(-ltorch -ltorch_cpu -lc10)
[ -f "$torch/lib/libtorch_cuda.so" ] && libs+=(-ltorch_cuda -lc10_cuda)
g++ -shared -o "$build/libLibTorchSharp.so" "$build"/obj/*.o -L"$torch/lib" "${libs[@]}" -Wl,-rpath,"\$ORIGIN"
cp "$build/libLibTorchSharp.so" "$root/app/runtimes/linux-x64/native/libLibTorchSharp.so"
version=$("$py" -c 'import torch; print(torch.__version__)')
echo "rebuilt libLibTorchSharp.so from $(wc -w <<< "$sources") sources against torch $version in $((SECONDS - started)) s"
