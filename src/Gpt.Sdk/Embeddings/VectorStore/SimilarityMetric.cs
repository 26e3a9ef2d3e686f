using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// One <see cref="DistanceFunction"/> as the exact scan sees it. Every supported function ranks rows by
/// <c>rank = dot(q, v) * Scale[v] + Bias[v]</c> (larger is nearer) with per-row constants stored beside the
/// vectors, so the kernel computes dot products only; the reported score is a function of the rank and the
/// query alone.
/// </summary>
/// <remarks>
/// Cosine: rank = dot / |v| (the query's own norm does not change the order; it is divided out at the end).
/// Dot product: rank = dot. Euclidean: |q - v|² = |q|² - (2 dot - |v|²), so rank = 2 dot - |v|².
/// </remarks>
internal sealed class SimilarityMetric
{
    /// <summary>The distance functions the flat store supports, as the error message lists them.</summary>
    public const string Supported =
        "CosineSimilarity (the default), CosineDistance, DotProductSimilarity, NegativeDotProductSimilarity, " +
        "EuclideanDistance, EuclideanSquaredDistance";

    private SimilarityMetric(string function) => Function = function;

    /// <summary>The <see cref="DistanceFunction"/> name.</summary>
    public string Function { get; }

    /// <summary>Cosine metrics need a vector's length to be positive.</summary>
    public bool NeedsPositiveNorm => Function is DistanceFunction.CosineSimilarity or DistanceFunction.CosineDistance;

    /// <summary>Higher scores are nearer (a similarity) rather than farther (a distance).</summary>
    public bool HigherIsNearer => Function is DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity;

    /// <summary>The metric for a vector property's <see cref="DistanceFunction"/> (null means cosine similarity).</summary>
    /// <exception cref="NotSupportedException">Hamming, Manhattan or an unknown function.</exception>
    public static SimilarityMetric For(string? distanceFunction, string propertyName) => distanceFunction switch
    {
        null => new SimilarityMetric(DistanceFunction.CosineSimilarity),
        DistanceFunction.CosineSimilarity or DistanceFunction.CosineDistance or DistanceFunction.DotProductSimilarity
            or DistanceFunction.NegativeDotProductSimilarity or DistanceFunction.EuclideanDistance
            or DistanceFunction.EuclideanSquaredDistance => new SimilarityMetric(distanceFunction),
        _ => throw new NotSupportedException(
            $"Vector property '{propertyName}' asks for distance function '{distanceFunction}', which the flat vector " +
            $"store does not support; use one of: {Supported}."),
    };

    /// <summary>The per-row constants of a stored vector whose squared length is <paramref name="squaredNorm"/>.</summary>
    public (float Scale, float Bias) RowConstants(double squaredNorm) => Function switch
    {
        DistanceFunction.CosineSimilarity or DistanceFunction.CosineDistance => ((float)(1.0 / Math.Sqrt(squaredNorm)), 0f),
        DistanceFunction.EuclideanDistance or DistanceFunction.EuclideanSquaredDistance => (2f, (float)-squaredNorm),
        _ => (1f, 0f),
    };

    /// <summary>The score reported for <paramref name="rank"/> against a query of squared length <paramref name="querySquaredNorm"/>.</summary>
    public double Score(float rank, double querySquaredNorm) => Function switch
    {
        DistanceFunction.CosineSimilarity => rank / Math.Sqrt(querySquaredNorm),
        DistanceFunction.CosineDistance => 1.0 - rank / Math.Sqrt(querySquaredNorm),
        DistanceFunction.NegativeDotProductSimilarity => -rank,
        DistanceFunction.EuclideanSquaredDistance => Math.Max(0.0, querySquaredNorm - rank),
        DistanceFunction.EuclideanDistance => Math.Sqrt(Math.Max(0.0, querySquaredNorm - rank)),
        _ => rank,
    };

    /// <summary>Whether <paramref name="score"/> passes a <see cref="VectorSearchOptions{TRecord}.ScoreThreshold"/>.</summary>
    public bool Passes(double score, double? threshold) =>
        threshold is not double t || (HigherIsNearer ? score >= t : score <= t);
}
