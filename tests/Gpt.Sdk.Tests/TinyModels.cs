using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Tests;

/// <summary>Small model shapes that run in milliseconds, for tests.</summary>
internal static class TinyModels
{
    public static GptConfig TwoLayer(float dropout = 0f) => new()
    {
        VocabularySize = 11, ContextLength = 8, EmbeddingSize = 8, LayerCount = 2, HeadCount = 2, Dropout = dropout,
    };

    public static int[] RandomIds(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(vocab);
        return ids;
    }
}
