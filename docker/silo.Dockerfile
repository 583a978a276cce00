# The expert-silo image: hosts expert grains on the devices in Devices and serves their data plane.
# Build from the repository root:  docker build -f docker/silo.Dockerfile -t rex-silo:0.1.0 .
#
# GPU build: the repository references TorchSharp-cpu (libtorch for the CPU only). For cuda:N devices, replace
# it with TorchSharp-cuda-linux of the same version (0.107.0, libtorch 2.10) in Directory.Packages.props and
# src/Model/Rex.Model.csproj before building; its libtorch-cuda packages bring CUDA's user-space libraries, so
# this base image must match their CUDA major version and the nodes need only the NVIDIA driver and container
# toolkit. Ubuntu 24.04 is required either way: TorchSharp's native library needs GLIBCXX_3.4.32, which 22.04's
# libstdc++ lacks (the build's TorchSharpHostFix adapts the library only on the host that builds it).
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

# The ASP.NET Core runtime (the data plane is a Kestrel server), taken from Microsoft's image of the same Ubuntu.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS dotnet

FROM ${CUDA_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libicu74 libssl3t64 tzdata zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1654 app && useradd --uid 1654 --gid app --create-home app
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build /app .
# Addresses depend on where the container runs: give it DataPlaneHost and AdvertisedAddress (the chart and
# k8s/ set both to the pod IP).
EXPOSE 50061 9464 11111 30000
USER 1654
ENTRYPOINT ["dotnet", "Rex.Silo.dll"]
