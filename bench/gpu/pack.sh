#!/usr/bin/env bash
# Packs what the GPU machine needs to run Rex into .gpu/rex-gpu.tar.xz. That machine has no .NET and no network, and
# the device tool carries at most 64 MiB with the repository (about 28 MiB of it tracked), so the pack holds:
#   app/     a framework-dependent publish of rex (CLI, gateway and silo programs) without libtorch's CPU binaries
#            (464 MiB): the machine's own PyTorch libraries (CUDA ones included) are found through LD_LIBRARY_PATH;
#   dotnet/  the .NET and ASP.NET Core runtimes of this machine, less the assemblies Rex never loads (listed below:
#            what a gateway and two expert silos serving gRPC, HTTP, metrics and a benchmark did not map, measured
#            through /proc/PID/maps, and over 700 KB; not the IIS and HttpSys servers, which WebApplication's defaults
#            resolve without mapping them).
# With --binding-source, also .gpu/torchsharp-native.tar.xz: TorchSharp's native sources (src/Native at commit
# c20b6a1c of a clone of github.com/dotnet/TorchSharp, bare or not: its 0.107.0 release, whose exports are those of the
# NuGet package's libLibTorchSharp.so), for bench/gpu/build-binding.sh, in case that binary does not run against the
# machine's PyTorch. Then bench/gpu/all.sh unpacks the pack there.
# REX_PACK_XZ: xz's preset (-9e; the CPU rehearsal packs with -1, faster and larger); REX_GPU_PACK_DIR: where the
# pack goes (.gpu, which the device call carries; the rehearsal packs elsewhere, so it never replaces that one).
# Usage: bench/gpu/pack.sh [--binding-source TORCHSHARP_CLONE]
set -euo pipefail
cd "$(dirname "$0")/../.."

binding_source=""
torchsharp_release=c20b6a1cc574d690707638a488d2583f3b8b983f # TorchSharp 0.107.0
if [ "${1:-}" = "--binding-source" ]; then binding_source=$2; fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

dotnet publish src/Cli -c Release -o "$stage/app" -v quiet -nologo >/dev/null
(
  cd "$stage/app"
  rm -rf runtimes/osx* runtimes/win* cs de es fr it ja ko pl pt-BR ru tr zh-Hans zh-Hant ./*.xml
  # Kept: TorchSharp's binding only; not libtorch's CPU binaries nor the Hugging Face tokenizers (the run passes token
  # ids). The run's clusters use localhost membership (the gateway is the primary silo), so neither the embedded
  # membership store (Garnet, its Lua and Azure dependencies) nor Redis membership's JSON (which needs System.Xml and
  # System.Data, left out below) is packed: with them the pack outgrew the device tool's 64 MiB. Nor Roslyn, which
  # Orleans' packages bring along for build-time code generation.
  find runtimes/linux-x64/native -type f ! -name libLibTorchSharp.so -delete
  rm -f Garnet.*.dll Tsavorite.*.dll KeraLua.dll BfTreeInterop.dll HdrHistogram.dll CommandLine.dll Azure.*.dll \
    Microsoft.Identity.Client*.dll Microsoft.IdentityModel.*.dll System.IdentityModel.Tokens.Jwt.dll \
    Microsoft.CodeAnalysis*.dll Humanizer.dll System.Composition.*.dll
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

pack=${REX_GPU_PACK_DIR:-.gpu}
mkdir -p "$pack"
if [ -n "$binding_source" ]; then
  git -C "$binding_source" archive "$torchsharp_release" src/Native | xz -9 > "$pack/torchsharp-native.tar.xz"
fi
tar -C "$stage" -cf - app dotnet | xz -T0 "${REX_PACK_XZ:--9e}" > "$pack/rex-gpu.tar.xz"
tracked=$( (git ls-files -z | xargs -0 stat -c %s 2>/dev/null || true) | awk '{ s += $1 } END { print s }')
size=$(cat "$pack"/*.tar.xz | wc -c)
echo "packed $pack/rex-gpu.tar.xz: $((size >> 20)) MiB (.NET $runtime, ASP.NET Core $aspnet); with the tracked files" \
  "$(((size + tracked) >> 20)) MiB of the device tool's 64"
