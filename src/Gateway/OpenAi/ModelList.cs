namespace Rex.Gateway.OpenAi;

/// <summary>The answer of GET /v1/models: OpenAI's list object, with vLLM's max_model_len on each model.</summary>
public sealed record ModelList(ModelCard[] Data)
{
    public string Object => "list";
}

public sealed record ModelCard(string Id, long Created, int MaxModelLen)
{
    public string Object => "model";

    public string OwnedBy => "rex";
}
