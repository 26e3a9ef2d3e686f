using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;

namespace Gpt.Sdk.Tests;

/// <summary>Small model shapes that run in milliseconds, for tests.</summary>
internal static class TinyModels
{
    public static GptConfig TwoLayer(float dropout = 0f) => new()
    {
        VocabularySize = 11, ContextLength = 8, EmbeddingSize = 8, LayerCount = 2, HeadCount = 2, Dropout = dropout,
    };

    /// <summary>
    /// Adds a LoRA adapter on every linear layer whose A and B hold seeded uniform values in ±<paramref name="scale"/>, so,
    /// unlike a fresh adapter (B = 0), it changes the model's output: on a random model with weights of std 0.02 the
    /// update outweighs the base projections, so greedy decodes under different adapters part within a few tokens.
    /// </summary>
    public static LoraAdapter AddRandomLoraAdapter(GptModel model, string name, int seed, float scale = 0.5f)
    {
        var adapter = model.AddLoraAdapter(name, new LoraConfig { Rank = 4, Alpha = 4, TargetModules = [LoraConfig.AllLinear] });
        var random = new Random(seed);
        var values = new float[adapter.Parameters.Count];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        adapter.Parameters.CopyValuesFrom(values);
        return adapter;
    }

    public static int[] RandomIds(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(vocab);
        return ids;
    }
}
