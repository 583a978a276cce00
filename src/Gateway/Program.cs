using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Rex.Gateway.Api;
using Rex.Gateway.Hosting;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;

// A gateway silo. With no arguments: the whole cluster in one process (gateway and expert roles, localhost
// clustering) on the built-in tiny model, serving the public gRPC API on the printed address.
var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddRexSources(args);
var rex = builder.Configuration.GetSection(RexOptions.Section).Get<RexOptions>() ?? new RexOptions();
var gateway = builder.Configuration.GetSection(RexOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
if (!rex.Roles.Split(',').Select(r => r.Trim()).Contains(SiloRoles.Gateway))
    throw new ArgumentException($"a gateway process needs the '{SiloRoles.Gateway}' role; Roles is '{rex.Roles}'");

builder.UseOrleans(silo => silo.UseRexClustering(rex).AddRex(rex).AddRexGateway(gateway));
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(IPAddress.Parse(gateway.ApiHost), gateway.Port, listen => listen.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc();
builder.Services.AddHostedService<GatewayWarmup>();

var app = builder.Build();
app.MapGrpcService<RexApiService>();
app.MapGrpcService<ClusterService>();
await app.StartAsync();
Console.WriteLine($"Rex gateway serving {app.Services.GetRequiredService<ModelCatalog>().Name} on {app.Urls.First()}");
await app.WaitForShutdownAsync();
