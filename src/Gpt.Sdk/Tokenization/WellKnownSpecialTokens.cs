namespace Gpt.Sdk.Tokenization;

/// <summary>Texts of the special tokens GPT models use by convention (OpenAI's spellings).</summary>
public static class WellKnownSpecialTokens
{
    /// <summary>Separates documents; GPT-2's only special token (id 50256).</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Fill-in-the-middle: the prefix follows.</summary>
    public const string FimPrefix = "<|fim_prefix|>";

    /// <summary>Fill-in-the-middle: the middle (the part to generate) follows.</summary>
    public const string FimMiddle = "<|fim_middle|>";

    /// <summary>Fill-in-the-middle: the suffix follows.</summary>
    public const string FimSuffix = "<|fim_suffix|>";

    /// <summary>Chat: a message starts; its role name follows.</summary>
    public const string MessageStart = "<|im_start|>";

    /// <summary>Chat: a message ends.</summary>
    public const string MessageEnd = "<|im_end|>";

    /// <summary>Embeddings (cpt-text): a text to embed starts here.</summary>
    public const string EmbedStart = "<|embed_start|>";

    /// <summary>Embeddings (cpt-text): a text to embed ends here; the hidden state at this token is its embedding.</summary>
    public const string EmbedEnd = "<|embed_end|>";
}
