using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tests.Tokenization;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Generation;

/// <summary>Tiny random models for the generation tests, and a plain no-cache reference to check them against.</summary>
internal static class GenerationModels
{
    /// <summary>Small vocabulary, long context: 200-token decodes in milliseconds.</summary>
    public static GptConfig LongContext(int vocab = 37) => new()
    {
        VocabularySize = vocab, ContextLength = 256, EmbeddingSize = 32, LayerCount = 2, HeadCount = 4,
    };

    /// <summary>GPT-2's vocabulary (optionally plus the chat and FIM tokens) on a very narrow model.</summary>
    public static GptConfig Gpt2Vocabulary(int vocab = 50257) => new()
    {
        VocabularySize = vocab, ContextLength = 64, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2,
    };

    private static readonly Lazy<GptModel> s_gpt2Model = new(() => new GptModel(Gpt2Vocabulary(), seed: 7));

    /// <summary>A shared random model over GPT-2's vocabulary (read-only, so tests may share it).</summary>
    public static GptModel Gpt2Model => s_gpt2Model.Value;

    /// <summary>A generator over <see cref="Gpt2Model"/> with GPT-2's tokenizer.</summary>
    public static Generator Gpt2Generator() => new(Gpt2Model, Gpt2Fixture.Tokenizer);

    /// <summary>The last position's logits of a full forward pass over <paramref name="ids"/>, no cache.</summary>
    public static float[] LastLogits(GptModel model, IReadOnlyList<int> ids, LoraAdapter? adapter = null)
    {
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();
        int v = model.Config.VocabularySize;
        return model.Forward(tape, ids.ToArray(), 1, ids.Count, new ForwardOptions { Adapter = adapter }).ToArray().AsSpan((ids.Count - 1) * v, v).ToArray();
    }

    /// <summary>Greedy decoding by full recomputation: the textbook loop the cached engine must agree with.</summary>
    public static List<int> GreedyByRecomputation(GptModel model, IReadOnlyList<int> prompt, int count, LoraAdapter? adapter = null)
    {
        var ids = prompt.ToList();
        var generated = new List<int>();
        for (int i = 0; i < count; i++)
        {
            int next = LogitProcessors.ArgMax(LastLogits(model, ids, adapter));
            ids.Add(next);
            generated.Add(next);
        }
        return generated;
    }

    /// <summary>Every chunk of a stream, in order.</summary>
    public static async Task<List<GenerationChunk>> Collect(IAsyncEnumerable<GenerationChunk> chunks)
    {
        var list = new List<GenerationChunk>();
        await foreach (var chunk in chunks) list.Add(chunk);
        return list;
    }

    /// <summary>True when the text has an unpaired surrogate (a split character).</summary>
    public static bool HasLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && (i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))) return true;
            if (char.IsLowSurrogate(text[i]) && (i == 0 || !char.IsHighSurrogate(text[i - 1]))) return true;
        }
        return false;
    }

    /// <summary>GPT-2's tokenizer with the chat and FIM tokens (ids 50257 .. 50261).</summary>
    public static BpeTokenizer Gpt2WithChatTokens { get; } = ChatTemplate.AddChatTokens(Gpt2Fixture.Tokenizer);
}
