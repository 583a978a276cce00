namespace Rex.Model.Tokenization;

/// <summary>
/// A model's tokenizer as the rest of Rex uses it: prompts in, token ids out, and ids back to text, whole or as a
/// stream. <see cref="DbrxTokenizer"/> (cl100k_base) and <see cref="HfTokenizer"/> (a Hugging Face tokenizer.json)
/// implement it; <see cref="TokenizerLoader"/> picks one for a model directory. Implementations are thread-safe.
/// </summary>
public interface ITokenizer
{
    /// <summary>
    /// Prompt text as ordinary text: a special token's string typed by a user stays characters (never its id); adds
    /// what the tokenizer adds to a prompt (Hugging Face `add_special_tokens=True`, e.g. Mixtral's BOS `&lt;s&gt;`), as
    /// vLLM's completions do. Added tokens that are not special (Qwen3's `&lt;think&gt;`) are vocabulary like any
    /// other and match as Hugging Face matches them.
    /// </summary>
    int[] Encode(string text);

    /// <summary>
    /// A rendered chat template: special tokens' strings become their ids; nothing is added (Hugging Face's
    /// apply_chat_template tokenizes with add_special_tokens=False).
    /// </summary>
    int[] EncodeChat(string rendered);

    /// <summary>Special (control) tokens: left out of text when skipSpecialTokens.</summary>
    bool IsSpecial(int id);

    /// <summary>The strings of the special tokens, which <see cref="EncodeChat"/> turns into their ids.</summary>
    IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>
    /// The id of a token given its string, or null: a special or added token's content (`&lt;|im_end|&gt;`), or an
    /// ordinary token as its vocabulary spells it (`Ġthe` in byte-level BPE, `▁the` in SentencePiece-style
    /// vocabularies), as Hugging Face's `convert_tokens_to_ids` takes it.
    /// </summary>
    int? TokenId(string token);

    /// <summary>
    /// The UTF-8 bytes a token stands for in running text (byte-level BPE: its bytes; metaspace: '▁' as a space,
    /// `&lt;0xNN&gt;` as that byte); empty for ids with no token. A table lookup: streaming calls it per token.
    /// </summary>
    ReadOnlySpan<byte> TokenBytes(int id);

    /// <summary>
    /// Decodes ids, a whole text from its start, to text; invalid UTF-8 becomes U+FFFD; special tokens left out unless
    /// asked for. Differs from the running text of <see cref="TokenBytes"/> only where the tokenizer's decoder drops
    /// what it added at a text's start (the space a metaspace tokenizer prepends).
    /// </summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);
}
