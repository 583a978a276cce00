using Microsoft.Extensions.Options;
using Rex.Gateway.Api;
using Rex.Gateway.Hosting;

namespace Rex.Gateway.Tests.Api;

public sealed class ApiKeyCheckTests
{
    const string Key = "s3cret-key";

    static ApiKeyCheck Check(string key) => new(Options.Create(new GatewayOptions { ApiKey = key }));

    [Theory]
    [InlineData("Bearer " + Key)]
    [InlineData("bearer " + Key)]
    [InlineData("BEARER " + Key)]
    [InlineData("bEaReR " + Key)]
    public void TheKeyPassesUnderTheBearerSchemeInAnyCase(string authorization) => Assert.True(Check(Key).IsAuthorized(authorization));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(Key)]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Basic " + Key)]
    [InlineData("Bearer s3cret")]
    [InlineData("Bearer " + Key + "x")]
    [InlineData("Bearer S3CRET-KEY")]
    [InlineData("Bearer  " + Key)]
    public void AnythingElseIsRefused(string? authorization) => Assert.False(Check(Key).IsAuthorized(authorization));

    [Fact]
    public void WithoutAKeyEveryCallPasses()
    {
        var check = Check("");
        Assert.False(check.IsRequired);
        Assert.True(check.IsAuthorized(null));
        Assert.True(check.IsAuthorized("Bearer anything"));
    }
}
