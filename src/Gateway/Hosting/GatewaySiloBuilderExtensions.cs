using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rex.Gateway.Grains;

namespace Rex.Gateway.Hosting;

public static class GatewaySiloBuilderExtensions
{
    /// <summary>What a silo with the gateway role adds: gateway settings and gateway grain placement.</summary>
    public static ISiloBuilder AddRexGateway(this ISiloBuilder silo, GatewayOptions options)
    {
        silo.Services.AddSingleton(Options.Create(options.Validate()));
        silo.Services.AddPlacementDirector<GatewayPlacementStrategy, GatewayPlacementDirector>();
        return silo;
    }
}
