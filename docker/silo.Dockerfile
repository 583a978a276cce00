# The expert-silo image: hosts expert grains on the devices in Devices and serves their data plane.
# Build from the repository root:  docker build -f docker/silo.Dockerfile -t rex-silo:0.1.0 .
#
# By default a CPU image on Microsoft's ASP.NET Core runtime (Ubuntu 24.04), like the gateway's: experts on cpu
# devices, as the chart's defaults and a laptop's kind cluster run them.
#
# GPU build: the repository references TorchSharp-cpu (libtorch for the CPU only). For cuda:N devices, replace
# it with TorchSharp-cuda-linux of the same version (0.107.0, libtorch 2.10) in Directory.Packages.props and
# src/Model/Rex.Model.csproj, then build on the CUDA base (CUDA_IMAGE picks another):
#   docker build -f docker/silo.Dockerfile --build-arg DEVICE=cuda -t rex-silo:0.1.0-cuda .
# The libtorch-cuda packages bring CUDA's user-space libraries, so the base must match their CUDA major version and
# the nodes need only the NVIDIA driver and container toolkit. Ubuntu 24.04 is required either way: TorchSharp's
# native library needs GLIBCXX_3.4.32, which 22.04's libstdc++ lacks (the build's TorchSharpHostFix adapts the
# library only on the host that builds it). BuildKit (docker's default builder) builds only the runtime chosen.
ARG DEVICE=cpu
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/Protos/Rex.Protos.csproj src/Protos/
COPY src/Model/Rex.Model.csproj src/Model/
COPY src/Silo/Rex.Silo.csproj src/Silo/
RUN dotnet restore src/Silo/Rex.Silo.csproj
COPY src/ src/
RUN dotnet publish src/Silo/Rex.Silo.csproj --no-restore -c Release -o /app -p:UseAppHost=false

# The ASP.NET Core runtime (the data plane is a Kestrel server) with the images' user, uid 1654.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime-cpu

# CUDA's base of the same Ubuntu, given what the ASP.NET image has: .NET's native dependencies, the runtime, the user.
FROM ${CUDA_IMAGE} AS runtime-cuda
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libicu74 libssl3t64 tzdata zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1654 app && useradd --uid 1654 --gid app --create-home app
COPY --from=runtime-cpu /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet

FROM runtime-${DEVICE}
WORKDIR /app
COPY --from=build /app .
# Addresses depend on where the container runs: give it DataPlaneHost and AdvertisedAddress (the chart and
# k8s/ set both to the pod IP).
EXPOSE 50061 9464 11111 30000
USER 1654
ENTRYPOINT ["dotnet", "Rex.Silo.dll"]
