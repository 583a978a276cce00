#!/usr/bin/env bash
# Packs what the GPU machine needs to run Rex into .gpu/rex-gpu.tar.xz. That machine has no .NET and no network, and
# the device tool carries at most 64 MiB with the repository (about 27 MiB of it tracked), so the pack holds:
#   app/     a framework-dependent publish of rex (CLI, gateway and silo programs) without libtorch's CPU binaries
#            (464 MiB): the machine's own PyTorch libraries (CUDA ones included) are found through LD_LIBRARY_PATH;
#   dotnet/  the .NET and ASP.NET Core runtimes of this machine, less the assemblies Rex never loads (listed below:
#            what a gateway and two expert silos serving gRPC, HTTP, metrics and a benchmark did not map, measured
#            through /proc/PID/maps, and over 700 KB; not the IIS and HttpSys servers, which WebApplication's defaults
#            resolve without mapping them).
# With --binding-source, also .gpu/torchsharp-native.tar.xz: TorchSharp's native sources (src/Native of a checkout
# of its 0.107.0 release) for bench/gpu/build-binding.sh, in case its binary does not bind to the machine's PyTorch.
# Then bench/gpu/rex-on-gpu.sh unpacks the pack there. Usage: bench/gpu/pack.sh [--binding-source TORCHSHARP_CHECKOUT]
set -euo pipefail
cd "$(dirname "$0")/../.."

binding_source=""
if [ "${1:-}" = "--binding-source" ]; then binding_source=$2; fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

dotnet publish src/Cli -c Release -o "$stage/app" -v quiet -nologo >/dev/null
(
  cd "$stage/app"
  rm -rf runtimes/osx* runtimes/win* cs de es fr it ja ko pl pt-BR ru tr zh-Hans zh-Hant ./*.xml
  find runtimes/linux-x64/native -type f ! -name libLibTorchSharp.so -delete
)

host=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')
aspnet=$(dotnet --list-runtimes | awk '$1 == "Microsoft.AspNetCore.App" { v = $2 } END { print v }')
mkdir -p "$stage/dotnet/shared"
cp -a "$host/dotnet" "$host/host" "$stage/dotnet/"
cp -a "$host/shared/Microsoft.NETCore.App" "$host/shared/Microsoft.AspNetCore.App" "$stage/dotnet/shared/"
find "$stage/dotnet/shared" -mindepth 2 -maxdepth 2 -type d ! -name "$runtime" ! -name "$aspnet" -exec rm -rf {} +
(
  cd "$stage/dotnet/shared/Microsoft.NETCore.App/$runtime"
  rm -f createdump libmscordaccore.so libmscordbi.so libcoreclrtraceptprovider.so libclrgc.so libclrgcexp.so \
    System.Private.Xml.dll System.Private.Xml.Linq.dll System.Data.Common.dll System.Private.DataContractSerialization.dll \
    Microsoft.VisualBasic.Core.dll Microsoft.CSharp.dll System.Linq.Parallel.dll System.Linq.AsyncEnumerable.dll
  cd "$stage/dotnet/shared/Microsoft.AspNetCore.App/$aspnet"
  rm -f Microsoft.AspNetCore.Mvc*.dll Microsoft.AspNetCore.Razor*.dll Microsoft.AspNetCore.Components*.dll \
    Microsoft.AspNetCore.Identity.dll Microsoft.Extensions.Identity.*.dll Microsoft.AspNetCore.SignalR*.dll
)

mkdir -p .gpu
if [ -n "$binding_source" ]; then
  git -C "$binding_source" archive HEAD src/Native | xz -9 > .gpu/torchsharp-native.tar.xz
fi
tar -C "$stage" -cf - app dotnet | xz -T0 -9e > .gpu/rex-gpu.tar.xz
tracked=$(git ls-files -z | xargs -0 stat -c %s | awk '{ s += $1 } END { print s }')
pack=$(cat .gpu/*.tar.xz | wc -c)
echo "packed .gpu/rex-gpu.tar.xz: $((pack >> 20)) MiB (.NET $runtime, ASP.NET Core $aspnet); with the tracked files" \
  "$(((pack + tracked) >> 20)) MiB of the device tool's 64"
