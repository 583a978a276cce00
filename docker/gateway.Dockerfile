# The gateway image: a gateway silo (public gRPC API on 50051, OpenAI-compatible HTTP on 8000).
# Build from the repository root:  docker build -f docker/gateway.Dockerfile -t rex-gateway:0.1.0 .
# Without settings it is the whole cluster in one process on the built-in tiny model; on Kubernetes the chart
# sets Roles=gateway and Redis membership.
# It runs attention and sampling on the CPU. A gateway on a GPU (GatewayDevice=cuda:0) needs the CUDA base and
# the TorchSharp swap described in silo.Dockerfile.
# It also carries the rex command (/app/rex.dll), which the chart's model download runs as an init container:
#   docker run --rm --entrypoint dotnet rex-gateway:0.1.0 /app/rex.dll model download --help

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone first, so a source change does not download the packages again.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/Protos/Rex.Protos.csproj src/Protos/
COPY src/Model/Rex.Model.csproj src/Model/
COPY src/Silo/Rex.Silo.csproj src/Silo/
COPY src/Gateway/Rex.Gateway.csproj src/Gateway/
COPY src/Client/Rex.Client.csproj src/Client/
COPY src/Cli/Rex.Cli.csproj src/Cli/
RUN dotnet restore src/Cli/Rex.Cli.csproj
COPY src/ src/
# The rex command references the gateway, so both share one folder and one copy of every library (one set of
# central package versions); the gateway is published last, so its own files are the gateway's.
RUN dotnet publish src/Cli/Rex.Cli.csproj --no-restore -c Release -o /app -p:UseAppHost=false \
    && dotnet publish src/Gateway/Rex.Gateway.csproj --no-restore -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# A container is reached from outside itself: listen on every interface, not loopback.
ENV REX_ApiHost=0.0.0.0
EXPOSE 50051 8000
# The image's unprivileged user (uid 1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "Rex.Gateway.dll"]
