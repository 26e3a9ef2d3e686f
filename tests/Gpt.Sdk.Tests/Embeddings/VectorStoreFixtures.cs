using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Tests.Embeddings;

/// <summary>A record of the tests: a key, three data properties to filter on, and a vector.</summary>
public sealed class Passage
{
    [VectorStoreKey] public int Id { get; set; }
    [VectorStoreData] public string Category { get; set; } = "";
    [VectorStoreData] public bool Archived { get; set; }
    [VectorStoreData] public int Year { get; set; }
    [VectorStoreVector(VectorStoreFixtures.Dimensions)] public ReadOnlyMemory<float> Vector { get; set; }
}

/// <summary>Random passages and queries (seeded), a store for any distance function, and an independent brute-force reference.</summary>
internal static class VectorStoreFixtures
{
    // Not a multiple of the SIMD width (16 or 8), so the tiles' scalar tails are exercised.
    public const int Dimensions = 37;

    public static readonly string[] Categories = ["news", "sport", "science", "art"];

    public static readonly string[] DistanceFunctions =
    [
        DistanceFunction.CosineSimilarity, DistanceFunction.CosineDistance, DistanceFunction.DotProductSimilarity,
        DistanceFunction.NegativeDotProductSimilarity, DistanceFunction.EuclideanDistance, DistanceFunction.EuclideanSquaredDistance,
    ];

    public static VectorStoreCollectionDefinition Definition(string distanceFunction, int dimensions = Dimensions) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty(nameof(Passage.Id), typeof(int)),
            new VectorStoreDataProperty(nameof(Passage.Category), typeof(string)),
            new VectorStoreDataProperty(nameof(Passage.Archived), typeof(bool)),
            new VectorStoreDataProperty(nameof(Passage.Year), typeof(int)),
            new VectorStoreVectorProperty(nameof(Passage.Vector), typeof(ReadOnlyMemory<float>), dimensions) { DistanceFunction = distanceFunction },
        ],
    };

    public static async Task<FlatVectorCollection<int, Passage>> CollectionAsync(
        string distanceFunction, IEnumerable<Passage> passages, int? threads = null, string name = "passages")
    {
        var store = new FlatVectorStore(new FlatVectorStoreOptions { MaxDegreeOfParallelism = threads });
        var collection = store.GetCollection<int, Passage>(name, Definition(distanceFunction));
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(passages);
        return collection;
    }

    public static List<Passage> Passages(int count, int seed, int dimensions = Dimensions)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => new Passage
        {
            Id = i,
            Category = Categories[random.Next(Categories.Length)],
            Archived = random.Next(3) == 0,
            Year = 2000 + random.Next(25),
            Vector = Vector(random, dimensions),
        }).ToList();
    }

    public static float[] Vector(Random random, int dimensions = Dimensions)
    {
        var vector = new float[dimensions];
        for (int i = 0; i < vector.Length; i++) vector[i] = random.NextSingle() * 2f - 1f;
        return vector;
    }

    /// <summary>The exact answer in double precision: (id, score), nearest first.</summary>
    public static List<(int Id, double Score)> BruteForce(IEnumerable<Passage> passages, float[] query, string distanceFunction, int top,
        Func<Passage, bool>? filter = null)
    {
        bool higherIsNearer = distanceFunction is DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity;
        var scored = passages.Where(p => filter?.Invoke(p) ?? true).Select(p => (p.Id, Score: Score(p.Vector.Span, query, distanceFunction)));
        return (higherIsNearer ? scored.OrderByDescending(s => s.Score) : scored.OrderBy(s => s.Score)).Take(top).ToList();
    }

    public static double Score(ReadOnlySpan<float> v, ReadOnlySpan<float> q, string distanceFunction)
    {
        double dot = 0, vv = 0, qq = 0, squared = 0;
        for (int i = 0; i < v.Length; i++)
        {
            dot += (double)v[i] * q[i];
            vv += (double)v[i] * v[i];
            qq += (double)q[i] * q[i];
            squared += ((double)v[i] - q[i]) * ((double)v[i] - q[i]);
        }
        return distanceFunction switch
        {
            DistanceFunction.CosineSimilarity => dot / Math.Sqrt(vv * qq),
            DistanceFunction.CosineDistance => 1 - dot / Math.Sqrt(vv * qq),
            DistanceFunction.DotProductSimilarity => dot,
            DistanceFunction.NegativeDotProductSimilarity => -dot,
            DistanceFunction.EuclideanDistance => Math.Sqrt(squared),
            DistanceFunction.EuclideanSquaredDistance => squared,
            _ => throw new ArgumentOutOfRangeException(nameof(distanceFunction)),
        };
    }

    public static async Task<List<VectorSearchResult<Passage>>> SearchAsync(VectorStoreCollection<int, Passage> collection, float[] query,
        int top, VectorSearchOptions<Passage>? options = null)
    {
        var results = new List<VectorSearchResult<Passage>>();
        await foreach (var result in collection.SearchAsync(query, top, options)) results.Add(result);
        return results;
    }

    /// <summary>Asserts the store's results are the reference's: same ids in order, scores within float rounding.</summary>
    public static void AssertSame(List<(int Id, double Score)> expected, IReadOnlyList<VectorSearchResult<Passage>> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            // float32 dot products of 37 terms against a double reference: about 1e-6 relative; 1e-4 absolute is ample
            // and far below the gaps between neighbouring random scores that decide the order.
            Assert.Equal(expected[i].Score, actual[i].Score!.Value, 1e-4);
            Assert.Equal(expected[i].Id, actual[i].Record.Id);
        }
    }
}
