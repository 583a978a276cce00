using Rex.Protos.Grains;

namespace Rex.Protos.Tests.Grains;

public sealed class ExpertGrainKeyTests
{
    [Theory]
    [InlineData("dbrx-tiny", 0, 15, 1)]
    [InlineData("org/dbrx-instruct", 39, 3, 0)]
    public void RoundTripsThroughItsStringForm(string model, int layer, int expert, int replica)
    {
        var key = new ExpertGrainKey(model, layer, expert, replica);
        Assert.Equal(key, ExpertGrainKey.Parse(key.ToString()));
    }

    [Theory]
    [InlineData("dbrx/1/2")]
    [InlineData("dbrx/a/2/0")]
    [InlineData("")]
    public void RejectsKeysThatAreNotModelLayerExpertReplica(string key) =>
        Assert.Contains("is not an expert key", Assert.Throws<FormatException>(() => ExpertGrainKey.Parse(key)).Message);
}
