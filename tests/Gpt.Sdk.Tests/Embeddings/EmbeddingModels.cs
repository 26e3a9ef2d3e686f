using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Embeddings;

/// <summary>A tiny byte-level BPE with the embedding delimiters and models whose vocabulary covers them.</summary>
internal static class EmbeddingModels
{
    private static readonly Lazy<BpeTokenizer> s_bpe = new(() => EmbeddingHead.AddDelimiters(BpeTrainer.Train(
        ["the cat sat on the mat. a dog ran in the park. the sun is hot. rain falls on the roof."],
        new BpeTrainerOptions { VocabularySize = 256 + 24 })));

    /// <summary>Byte-level BPE with <c>&lt;|embed_start|&gt;</c> and <c>&lt;|embed_end|&gt;</c>.</summary>
    public static BpeTokenizer Bpe => s_bpe.Value;

    public static GptConfig Config(float dropout = 0f, int context = 32) => new()
    {
        VocabularySize = Bpe.VocabularySize, ContextLength = context, EmbeddingSize = 16, LayerCount = 2, HeadCount = 2, Dropout = dropout,
    };

    public static ContrastiveDataset Pairs(int count, int negatives = 0)
    {
        string[] words = ["cat", "dog", "sun", "rain", "park", "mat", "roof", "hot", "ran", "sat"];
        return new ContrastiveDataset(Enumerable.Range(0, count).Select(i => new ContrastiveExample(
            $"the {words[i % words.Length]} {words[(i * 3 + 1) % words.Length]}",
            $"a {words[i % words.Length]} on the {words[(i + 2) % words.Length]}{new string('.', i % 4)}",
            Enumerable.Range(0, negatives).Select(k => $"no {words[(i + k + 5) % words.Length]} here").ToList())));
    }
}
