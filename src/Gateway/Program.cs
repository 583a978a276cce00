using Rex.Gateway.Api;
using Rex.Gateway.Hosting;
using Rex.Silo.Hosting;

// A gateway silo (GatewayHost); `rex serve` runs the same. What a user must fix (a port another process holds, a
// setting out of range) is one line, not a stack trace.
try
{
    await GatewayHost.RunAsync(args);
    return 0;
}
catch (Exception e) when (e is PortInUseException or ArgumentException)
{
    Console.Error.WriteLine($"error: {(e is ArgumentException argument ? ApiErrors.Describe(argument) : e.Message)}");
    return 1;
}
