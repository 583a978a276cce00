using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Rex.Protos.Grains;

namespace Rex.Protos.Tests.Grains;

public sealed class GenerationInputTests
{
    [Fact]
    public void LogitBiasCrossesOrleansWireWithTheRequest()
    {
        using var services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var input = new GenerationInput([1, 2], 0, 1, 0, null, 4, [], null, false, 0, 0, null, "chat", "",
            LogitBias: new Dictionary<int, double> { [5] = -100, [7] = 2.5 });

        var received = serializer.Deserialize<GenerationInput>(serializer.SerializeToArray(input))!;

        Assert.Equal(input.LogitBias, received.LogitBias);
        Assert.Null(serializer.Deserialize<GenerationInput>(serializer.SerializeToArray(input with { LogitBias = null }))!.LogitBias);
    }
}
