using Gpt.Sdk.IO.Gguf;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// A <see cref="BpeTokenizer"/> as the <c>tokenizer.ggml.*</c> metadata of a GGUF file, as llama.cpp's converter writes a
/// Hugging Face GPT-2 tokenizer: model <c>gpt2</c> with GPT-2's pre-tokenizer, one entry per id of the model's vocabulary
/// in byte-level spelling (<c>Ġthe</c>), special tokens as control tokens, ids without a token as <c>[PAD{id}]</c>
/// user-defined tokens, the merges as "left right" in rank order, and <c>&lt;|endoftext|&gt;</c> as BOS and EOS.
/// </summary>
internal static class GgufVocabulary
{
    // llama.cpp's llama_token_type (gguf-py's TokenType).
    private const int Normal = 1, Control = 3, UserDefined = 4;

    /// <summary>Adds the tokenizer's metadata for a model of <paramref name="vocabularySize"/> ids.</summary>
    /// <exception cref="ArgumentException">The tokenizer has ids the model has no embedding for.</exception>
    public static void Add(GgufWriter writer, BpeTokenizer tokenizer, int vocabularySize)
    {
        if (tokenizer.VocabularySize > vocabularySize)
            throw new ArgumentException($"the tokenizer has {tokenizer.VocabularySize} tokens but the model's vocabulary is {vocabularySize}, so some of its ids " +
                "have no embedding: this is not the model's tokenizer. Export the model with the tokenizer it was built for.", nameof(tokenizer));
        var spellings = new string[vocabularySize];
        var types = new int[vocabularySize];
        var ordinary = tokenizer.OrdinaryTokens();
        for (int id = 0; id < vocabularySize; id++)
        {
            if (id < ordinary.Length && ordinary[id] is { } bytes)
                (spellings[id], types[id]) = (ByteLevelAlphabet.ToText(bytes), Normal);
            else
                (spellings[id], types[id]) = ($"[PAD{id}]", UserDefined);
        }

        foreach (var (text, id) in tokenizer.SpecialTokens) (spellings[id], types[id]) = (text, Control);
        var merges = tokenizer.MergesInRankOrder().Select(m => $"{spellings[m.Left]} {spellings[m.Right]}").ToArray();

        writer.Add("tokenizer.ggml.model", "gpt2");
        writer.Add("tokenizer.ggml.pre", "gpt-2");
        writer.Add("tokenizer.ggml.tokens", spellings);
        writer.Add("tokenizer.ggml.token_type", types);
        writer.Add("tokenizer.ggml.merges", merges);
        if (tokenizer.SpecialTokens.TryGetValue(WellKnownSpecialTokens.EndOfText, out int endOfText))
        {
            writer.Add("tokenizer.ggml.bos_token_id", (uint)endOfText);
            writer.Add("tokenizer.ggml.eos_token_id", (uint)endOfText);
        }

        // GPT-2 adds no token in front of a prompt (Hugging Face's tokenizer does not); said outright so that
        // llama.cpp's default for its gpt2 tokenizer model does not decide it.
        writer.Add("tokenizer.ggml.add_bos_token", false);
    }
}
