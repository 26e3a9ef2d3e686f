using System.Numerics.Tensors;

namespace Gpt.Sdk.Embeddings;

/// <summary>The checks every stored or query vector passes, with errors that say which vector and what to do.</summary>
internal static class VectorChecks
{
    /// <summary>The squared length of <paramref name="vector"/>.</summary>
    public static double SquaredNorm(ReadOnlySpan<float> vector) => TensorPrimitives.SumOfSquares(vector);

    /// <summary>Refuses a vector of the wrong length, with a NaN or infinity, or (for cosine) of length zero; returns its squared length.</summary>
    /// <param name="vector">The vector.</param>
    /// <param name="dimensions">The collection's vector length.</param>
    /// <param name="metric">The collection's metric.</param>
    /// <param name="what">Names the vector in the message ("the query", "the vector of record 'a'").</param>
    /// <param name="parameterName">The argument at fault.</param>
    /// <exception cref="ArgumentException">The vector is unusable.</exception>
    public static double Validate(ReadOnlySpan<float> vector, int dimensions, SimilarityMetric metric, string what, string parameterName)
    {
        if (vector.Length != dimensions)
            throw new ArgumentException(
                $"{what} has {vector.Length} dimensions; the collection's vectors have {dimensions}. Use vectors from the same embedding model the collection was built with.",
                parameterName);
        double squaredNorm = SquaredNorm(vector);
        if (!double.IsFinite(squaredNorm))
        {
            for (int i = 0; i < vector.Length; i++)
            {
                if (!float.IsFinite(vector[i]))
                    throw new ArgumentException($"{what} has {vector[i]} at index {i}; vectors must be finite numbers.", parameterName);
            }
            throw new ArgumentException($"{what} is too large: its squared length overflows. Normalise it first.", parameterName);
        }
        if (metric.NeedsPositiveNorm && squaredNorm == 0)
            throw new ArgumentException($"{what} is all zeros, which has no direction: cosine similarity is undefined for it.", parameterName);
        return squaredNorm;
    }
}
