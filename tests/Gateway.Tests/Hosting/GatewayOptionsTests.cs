using Microsoft.Extensions.Configuration;
using Rex.Gateway.Dispatch;
using Rex.Gateway.Hosting;

namespace Rex.Gateway.Tests.Hosting;

public sealed class GatewayOptionsTests
{
    [Fact]
    public void TheDefaultsAreValid() => new GatewayOptions().Validate();

    [Theory]
    [InlineData("MaxNumSeqs", "0", "MaxNumSeqs = 0 must be at least 1")]
    [InlineData("MaxNumBatchedTokens", "-1", "MaxNumBatchedTokens = -1 must be at least 1")]
    [InlineData("NumMicroBatches", "0", "NumMicroBatches = 0 must be at least 1")]
    [InlineData("ExpertCapacityFactor", "-0.5", "ExpertCapacityFactor = -0.5 must be 0 (no limit) or positive")]
    [InlineData("ExpertDirectoryRefreshSeconds", "0", "ExpertDirectoryRefreshSeconds = 0 must be positive")]
    [InlineData("DispatchTimeoutSeconds", "0", "DispatchTimeoutSeconds = 0 must be positive")]
    [InlineData("ExpertWaitTimeoutSeconds", "0", "ExpertWaitTimeoutSeconds = 0 must be positive")]
    [InlineData("ExpertDeadlineMs", "-1", "ExpertDeadlineMs = -1 must be 0 (derived from observed round trips) or positive")]
    [InlineData("SuspectAfterMissedDeadlines", "0", "SuspectAfterMissedDeadlines = 0 must be at least 1")]
    [InlineData("Port", "70000", "Port = 70000 must be a TCP port")]
    [InlineData("GatewayDevice", "tpu", "device 'tpu' is not cpu, cpu:N or cuda:N")]
    [InlineData("ExpertReplicas", "0", "ExpertReplicas must be at least 1")]
    [InlineData("ExpertReplicaOverrides", "1=2", "ExpertReplicaOverrides entry '1=2' is not layer:expert=count")]
    [InlineData("CorsAllowedOrigins", "https://app.example/", "CorsAllowedOrigins = https://app.example/ must be '*' or origins such as https://app.example.com")]
    [InlineData("CorsAllowedOrigins", "app.example", "CorsAllowedOrigins = app.example must be '*' or origins")]
    public void SettingsOutOfRangeAreNamed(string setting, string value, string message)
    {
        var options = Bind(setting, value);
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => options.Validate()).Message);
    }

    [Fact]
    public void CorsIsOffByDefaultAndTakesCommaSeparatedOrigins()
    {
        Assert.Empty(new GatewayOptions().CorsOrigins);
        var options = Bind("CorsAllowedOrigins", "https://app.example, http://localhost:3000").Validate();
        Assert.Equal(["https://app.example", "http://localhost:3000"], options.CorsOrigins);
        Assert.Equal(["*"], Bind("CorsAllowedOrigins", "*").Validate().CorsOrigins);
    }

    [Fact]
    public void TheCapacityPolicyBindsFromItsName() => Assert.Equal(CapacityPolicy.Drop, Bind("CapacityPolicy", "drop").CapacityPolicy);

    static GatewayOptions Bind(string setting, string value) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"Rex:{setting}"] = value }).Build()
            .GetSection("Rex").Get<GatewayOptions>()!;
}
