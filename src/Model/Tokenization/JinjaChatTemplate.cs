using System.Text.Json;
using Rex.Model.Config;
using Rex.Model.Jinja;

namespace Rex.Model.Tokenization;

/// <summary>
/// A model's own chat template, rendered as Hugging Face's apply_chat_template renders it: the Jinja source with
/// `messages`, `tools` and `documents` (none unless given), `add_generation_prompt`, the special tokens the model
/// sets (bos_token, eos_token) and any extra variables (enable_thinking, reasoning_effort, tools...). Parsed once;
/// rendering is thread-safe.
/// </summary>
/// <example>
/// <code>
/// var template = JinjaChatTemplate.Load(modelDirectory) ?? throw new InvalidOperationException("no chat template");
/// var prompt = template.Render([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")]);
/// </code>
/// </example>
public sealed class JinjaChatTemplate
{
    /// <summary>The file transformers reads the template from, in preference to tokenizer_config.json.</summary>
    public const string TemplateFileName = "chat_template.jinja";

    /// <summary>Where older models keep their special tokens; tokenizer_config.json's win where both set one.</summary>
    public const string SpecialTokensFileName = "special_tokens_map.json";

    const string DefaultTemplateName = "default";

    readonly JinjaTemplate template;
    readonly TimeProvider clock;

    /// <exception cref="JinjaParseException">The source is not a template this engine can parse.</exception>
    public JinjaChatTemplate(string source, string? bosToken = null, string? eosToken = null, TimeProvider? clock = null)
    {
        template = JinjaTemplate.Parse(source);
        BosToken = bosToken;
        EosToken = eosToken;
        this.clock = clock ?? TimeProvider.System;
    }

    public string Source => template.Source;
    public string? BosToken { get; }
    public string? EosToken { get; }

    /// <summary>
    /// The chat template of a model directory: chat_template.jinja when present (as in transformers, it wins), else
    /// tokenizer_config.json's chat_template (a string, or a list of named templates of which "default" is taken),
    /// with the special tokens of tokenizer_config.json, else of special_tokens_map.json (each a string, or an object
    /// with its content). Null when the model has no chat template.
    /// </summary>
    /// <exception cref="ModelConfigException">A config file is malformed or the template does not parse.</exception>
    public static JinjaChatTemplate? Load(string modelDirectory, TimeProvider? clock = null)
    {
        var configPath = Path.Combine(modelDirectory, DbrxTokenizer.ConfigFileName);
        using var config = ConfigFile.Open(configPath);
        var templatePath = Path.Combine(modelDirectory, TemplateFileName);
        var (source, origin) = File.Exists(templatePath)
            ? (File.ReadAllText(templatePath), templatePath)
            : (config is { } fields ? ConfigTemplate(fields.Fields) : null, configPath);
        if (source is null) return null;
        using var specialTokens = ConfigFile.Open(Path.Combine(modelDirectory, SpecialTokensFileName));
        string? Token(string name) => SpecialToken(config, name) ?? SpecialToken(specialTokens, name);
        try
        {
            return new JinjaChatTemplate(source, Token("bos_token"), Token("eos_token"), clock);
        }
        catch (JinjaParseException e)
        {
            throw new ModelConfigException($"{origin}: the chat template does not parse: {e.Message}", e);
        }
    }

    /// <summary>Renders a conversation of plain role and content messages.</summary>
    /// <exception cref="ArgumentException">There are no messages.</exception>
    /// <exception cref="JinjaRaisedException">The template refused the conversation (raise_exception), with its message.</exception>
    /// <exception cref="JinjaRenderException">The template failed on this input.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null) =>
        Render([.. messages.Select(m => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content })], addGenerationPrompt, variables);

    /// <summary>
    /// Renders messages given as dictionaries, for fields beyond role and content (tool_calls, reasoning_content,
    /// thinking...); values may be strings, numbers, bools, null, lists, dictionaries or JSON elements.
    /// </summary>
    public string Render(
        IReadOnlyList<IReadOnlyDictionary<string, object?>> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null)
    {
        // Templates read messages[0] unguarded; jinja2 fails there, and a prompt without a turn is no request anyway.
        if (messages.Count == 0) throw new ArgumentException("at least one message is required", nameof(messages));
        var all = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages,
            ["tools"] = null,
            ["documents"] = null,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        // A token the model does not set stays undefined (it prints as nothing), as transformers leaves it out.
        if (BosToken is not null) all["bos_token"] = BosToken;
        if (EosToken is not null) all["eos_token"] = EosToken;
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>()) all[name] = value;
        return template.Render(all, clock);
    }

    static string? ConfigTemplate(JsonFields config)
    {
        if (!config.Element.TryGetProperty("chat_template", out var value)) return null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Array:
                var named = value.EnumerateArray()
                    .Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
                    .ToDictionary(t => t.GetProperty("name").GetString()!, t => t);
                if (!named.TryGetValue(DefaultTemplateName, out var chosen))
                    throw config.Error("chat_template", $"has no '{DefaultTemplateName}' template (it has: {string.Join(", ", named.Keys)})");
                return chosen.TryGetProperty("template", out var text) && text.ValueKind == JsonValueKind.String
                    ? text.GetString()
                    : throw config.Error("chat_template", $"'{DefaultTemplateName}' must have a string template");
            default:
                throw config.Error("chat_template", "must be a string or a list of {\"name\", \"template\"} objects");
        }
    }

    static string? SpecialToken(ConfigFile? file, string name)
    {
        if (file is not { Fields: var fields } || !fields.Element.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String =>
                content.GetString(),
            _ => throw fields.Error(name, "must be a string or an object with a string content"),
        };
    }

    /// <summary>A JSON config file of the model directory, read when it exists.</summary>
    sealed class ConfigFile(JsonDocument document, string path) : IDisposable
    {
        public JsonFields Fields { get; } = new(document.RootElement, path, "");

        public static ConfigFile? Open(string path) => File.Exists(path) ? new ConfigFile(JsonFields.Parse(path), path) : null;

        public void Dispose() => document.Dispose();
    }
}
