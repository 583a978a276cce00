using Microsoft.Extensions.Hosting;
using Rex.Silo.Hosting;

// An expert silo: joins the cluster, hosts the expert grains placed on it, serves their data plane.
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddRexSources(args);
var options = builder.Configuration.GetSection(RexOptions.Section).Get<RexOptions>() ?? new RexOptions();
if (builder.Configuration[$"{RexOptions.Section}:Roles"] is null) options.Roles = SiloRoles.Expert;
// A port another process holds: one line naming it and the setting, not Orleans' or Kestrel's stack trace.
if (PortInUse.FirstConflict(options.ListeningPorts()) is { } conflict)
{
    Console.Error.WriteLine($"error: {conflict}");
    return 1;
}
builder.UseOrleans(silo => silo.UseRexClustering(options).AddRex(options));
await builder.Build().RunAsync();
return 0;
