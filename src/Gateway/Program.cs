using Rex.Gateway.Hosting;

// A gateway silo (GatewayHost); `rex serve` runs the same.
await GatewayHost.RunAsync(args);
