using System.Text;
using Microsoft.Extensions.AI;

namespace Gpt.Sdk.Tests.Retrieval;

/// <summary>Texts and a deterministic embedding generator for retrieval tests: the generator hashes each word into one of
/// <see cref="Dimensions"/> buckets and normalises the counts, so texts that share words are near and the tests check the
/// pipeline, not a model.</summary>
internal static class RetrievalFixtures
{
    public const int Dimensions = 64;

    public static readonly string Corpus = string.Join(" ", Enumerable.Range(0, 40).Select(i =>
        $"The {Words[i % Words.Length]} sat near the {Words[(i * 7 + 3) % Words.Length]} on day {i}. It was {(i % 3 == 0 ? "warm and bright" : "cold")} there."));

    public static readonly string[] Documents =
    [
        "Volcanoes erupt when magma rises through the crust. Lava flows downhill and cools into basalt rock. Ash clouds can ground aircraft for days.",
        "Bees collect nectar from flowers and turn it into honey in the hive. A queen bee lays the eggs while worker bees guard the colony.",
        "Trains run on steel rails between stations. A locomotive pulls the carriages, and signals tell the driver when the line ahead is clear.",
    ];

    private static string[] Words => ["cat", "dog", "fox", "owl", "hen", "cow", "pig", "ram"];

    public static float[] Embed(string text)
    {
        var vector = new float[Dimensions];
        foreach (string word in text.ToLowerInvariant().Split([' ', '.', ',', '?', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            uint hash = 2166136261;
            foreach (byte b in Encoding.UTF8.GetBytes(word)) hash = (hash ^ b) * 16777619;
            vector[hash % Dimensions] += 1;
        }
        float norm = MathF.Sqrt(vector.Sum(v => v * v));
        if (norm == 0) vector[0] = norm = 1;
        for (int i = 0; i < vector.Length; i++) vector[i] /= norm;
        return vector;
    }

    /// <summary>The bag-of-words generator, counting its calls and the texts per call.</summary>
    public sealed class BagOfWordsGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public List<int> CallSizes { get; } = [];

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var texts = values.ToList();
            lock (CallSizes) CallSizes.Add(texts.Count);
            var result = new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => new Embedding<float>(Embed(t))))
            {
                Usage = new UsageDetails { InputTokenCount = texts.Sum(t => t.Length) },
            };
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
