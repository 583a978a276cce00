using System.CommandLine;
using Rex.Client;

namespace Rex.Cli;

/// <summary>
/// `--api-key KEY` of every command that calls a gateway, by default `$REX_API_KEY` (as OpenAI's clients read
/// OPENAI_API_KEY): sent as `authorization: Bearer KEY`, the gateway's `Rex:ApiKey`.
/// </summary>
internal sealed class ApiKeyOption
{
    public const string Name = "--api-key";
    public const string Variable = "REX_API_KEY";

    /// <summary>Added to an UNAUTHENTICATED answer: the gateway's own message names its setting, not where the CLI takes the key.</summary>
    public const string Hint = $"give the gateway's API key with {Name} KEY or the {Variable} environment variable";

    public Option<string?> Key { get; } = new(Name)
    {
        Description = $"the gateway's API key (its Rex:ApiKey), sent as 'authorization: Bearer KEY'; default: ${Variable}",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(Variable),
    };

    public void AddTo(Command command) => command.Add(Key);

    /// <summary>The key, or null when neither the option nor the variable gives one.</summary>
    public string? Read(ParseResult parse) => parse.GetValue(Key) is { Length: > 0 } key ? key : null;

    public RexClientOptions ClientOptions(ParseResult parse, string address) => new() { Address = address, ApiKey = Read(parse) };
}
