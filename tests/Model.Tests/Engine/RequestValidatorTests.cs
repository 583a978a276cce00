using Rex.Model.Config;
using Rex.Model.Engine;
using Rex.Model.Sampling;
using Rex.Tests;

namespace Rex.Model.Tests.Engine;

public sealed class RequestValidatorTests
{
    const int MaxModelLen = 8;

    static readonly ModelConfig Config = ModelConfigReader.ReadDirectory(TestPaths.DbrxTiny);

    static GenerationRequest Request(int[] prompt, int maxTokens = 1) => new(prompt, new SamplingParams { MaxTokens = maxTokens });

    static ArgumentException Refused(Action validate) => Assert.ThrowsAny<ArgumentException>(validate);

    [Fact]
    public void APromptWithinTheLimitsIsAccepted()
    {
        RequestValidator.Validate(Request([0, 1, Config.VocabSize - 1]), Config, MaxModelLen, "prompt");
        RequestValidator.ValidateTotalLength(Request([0, 1, 2], maxTokens: 5), MaxModelLen, "prompt"); // exactly max_model_len
    }

    [Fact]
    public void AnEmptyPromptIsRefusedUnderTheCallersName()
    {
        var error = Refused(() => RequestValidator.Validate(Request([]), Config, MaxModelLen, "requests[3].prompt"));
        Assert.Equal("requests[3].prompt", error.ParamName);
        Assert.Contains("must not be empty", error.Message);
    }

    [Fact]
    public void APromptLongerThanMaxModelLenIsRefused()
    {
        var error = Refused(() => RequestValidator.Validate(Request(new int[MaxModelLen + 1]), Config, MaxModelLen, "prompt"));
        Assert.Equal("prompt", error.ParamName);
        Assert.Contains($"9 tokens, more than max_model_len ({MaxModelLen})", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATokenIdOutsideTheVocabularyIsRefused(bool isPastTheEnd)
    {
        var id = isPastTheEnd ? Config.VocabSize : -1;
        var error = Refused(() => RequestValidator.Validate(Request([1, id]), Config, MaxModelLen, "token_ids"));
        Assert.Equal("token_ids", error.ParamName);
        Assert.Contains($"token id {id}, outside the vocabulary [0, {Config.VocabSize})", error.Message);
    }

    [Fact]
    public void TheSamplingParametersAreValidatedToo()
    {
        var request = new GenerationRequest([1], new SamplingParams { Temperature = -1 });
        Assert.Equal("temperature", Refused(() => RequestValidator.Validate(request, Config, MaxModelLen, "prompt")).ParamName);
    }

    [Fact]
    public void APromptPlusMaxTokensBeyondMaxModelLenIsRefusedNamingMaxTokens()
    {
        var error = Refused(() => RequestValidator.ValidateTotalLength(Request([0, 1, 2], maxTokens: 6), MaxModelLen, "prompt"));
        Assert.Equal("max_tokens", error.ParamName);
        Assert.Contains($"prompt (3 tokens) plus max_tokens (6) is 9, more than max_model_len ({MaxModelLen})", error.Message);
    }
}
