# The expert-silo image: hosts expert grains on the devices in Devices and serves their data plane.
# Build from the repository root:  docker build -f docker/silo.Dockerfile -t rex-silo:0.1.0 .
#
# By default a CPU image on Microsoft's ASP.NET Core runtime (Ubuntu 24.04), like the gateway's: experts on cpu
# devices, as the chart's defaults and a laptop's kind cluster run them.
#
# GPU build: the repository references TorchSharp-cpu (libtorch for the CPU only). For cuda:N devices, replace
# it with TorchSharp-cuda-linux of the same version (0.107.0, libtorch 2.10) in Directory.Packages.props and
# src/Model/Rex.Model.csproj, then build on a CUDA base:
#   docker build -f docker/silo.Dockerfile --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 -t rex-silo:0.1.0-cuda .
# The libtorch-cuda packages bring CUDA's user-space libraries, so the base must match their CUDA major version and
# the nodes need only the NVIDIA driver and container toolkit. Ubuntu 24.04 is required either way: TorchSharp's
# native library needs GLIBCXX_3.4.32, which 22.04's libstdc++ lacks (the build's TorchSharpHostFix adapts the
# library only on the host that builds it).
ARG BASE_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

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

# The ASP.NET Core runtime (the data plane is a Kestrel server), taken from Microsoft's image of the same Ubuntu.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS dotnet

FROM ${BASE_IMAGE}
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
# A base other than the ASP.NET image (CUDA's) lacks .NET's native dependencies and the images' user (uid 1654).
RUN if ! id app >/dev/null 2>&1; then \
      apt-get update \
      && apt-get install -y --no-install-recommends ca-certificates libicu74 libssl3t64 tzdata zlib1g \
      && rm -rf /var/lib/apt/lists/* \
      && groupadd --gid 1654 app && useradd --uid 1654 --gid app --create-home app; \
    fi \
    && ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build /app .
# Addresses depend on where the container runs: give it DataPlaneHost and AdvertisedAddress (the chart and
# k8s/ set both to the pod IP).
EXPOSE 50061 9464 11111 30000
USER 1654
ENTRYPOINT ["dotnet", "Rex.Silo.dll"]
