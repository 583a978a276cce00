using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rex.Gateway.Grains;
using Rex.Silo.Devices;

namespace Rex.Gateway.Hosting;

public static class GatewaySiloBuilderExtensions
{
    /// <summary>What a silo with the gateway role adds: gateway settings and gateway grain placement.</summary>
    public static ISiloBuilder AddRexGateway(this ISiloBuilder silo, GatewayOptions options)
    {
        silo.Services.AddSingleton(Options.Create(options.Validate()));
        CudaAvailability.Require([DeviceSpec.Parse(options.GatewayDevice)], nameof(options.GatewayDevice));
        silo.Services.AddPlacementDirector<GatewayPlacementStrategy, GatewayPlacementDirector>();
        return silo;
    }
}
