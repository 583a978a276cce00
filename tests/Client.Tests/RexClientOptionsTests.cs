namespace Rex.Client.Tests;

/// <summary>Options a client cannot work with are refused when it is made, naming the parameter and the option.</summary>
public sealed class RexClientOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1:50051")]
    [InlineData("grpc://127.0.0.1:50051")]
    [InlineData("")]
    public void AnAddressThatIsNotAnHttpUrlIsRefused(string address)
    {
        var error = Assert.Throws<ArgumentException>(() => new RexClient(address));
        Assert.Equal("address", error.ParamName);
        Assert.Contains($"server address '{address}' is not an http:// or https:// URL", error.Message);
    }

    public static TheoryData<RexClientOptions, string> BadOptions => new()
    {
        { new RexClientOptions { Address = "ftp://host" }, "server address 'ftp://host'" },
        { new RexClientOptions { Address = "http://host", DangerousAcceptAnyServerCertificate = true }, "apply to https:// addresses" },
        { new RexClientOptions { Address = "https://host", Timeout = TimeSpan.Zero }, "Timeout must be positive" },
        { new RexClientOptions { Address = "https://host", MaxRetries = -1 }, "MaxRetries must be at least 0" },
        { new RexClientOptions { Address = "https://host", InitialBackoff = TimeSpan.Zero }, "InitialBackoff must be positive" },
        {
            new RexClientOptions { Address = "https://host", InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromSeconds(1) },
            "MaxBackoff must be at least InitialBackoff"
        },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptionsAreRefused(RexClientOptions options, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new RexClient(options));
        Assert.Equal("options", error.ParamName);
        Assert.Contains(message, error.Message);
    }
}
