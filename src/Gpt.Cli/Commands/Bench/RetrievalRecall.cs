using System.Numerics.Tensors;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// Recall@k of a retriever on <c>gpt bench retrieval</c>'s held-out questions: the share of questions whose passage is
/// among the k best-scored of the whole collection. A passage that ties with the right one counts as ranked above it,
/// so a retriever that scores everything alike gets no credit.
/// </summary>
internal static class RetrievalRecall
{
    /// <summary>The ks reported.</summary>
    public static readonly int[] Ks = [1, 10];

    /// <summary>Recall at each of <see cref="Ks"/> and the mean reciprocal rank, from each query's scores over the
    /// collection and the index of its passage.</summary>
    /// <param name="scores">Per query, the score of every passage (higher is better).</param>
    /// <param name="answers">Per query, the index of its passage.</param>
    public static Dictionary<string, object> Measure(IReadOnlyList<double[]> scores, IReadOnlyList<int> answers)
    {
        var ranks = new int[scores.Count];
        for (int q = 0; q < scores.Count; q++)
        {
            double right = scores[q][answers[q]];
            int above = 0;
            for (int p = 0; p < scores[q].Length; p++)
                if (p != answers[q] && scores[q][p] >= right) above++;
            ranks[q] = above + 1;
        }
        var figures = new Dictionary<string, object>();
        foreach (int k in Ks) figures[$"recall_at_{k}"] = Math.Round(ranks.Count(r => r <= k) / (double)ranks.Length, 4);
        figures["mrr"] = Math.Round(ranks.Average(r => 1.0 / r), 4);
        return figures;
    }

    /// <summary>The scores of normalised embeddings: each query's dot product (cosine) with every passage.</summary>
    /// <param name="queries">Query vectors.</param>
    /// <param name="passages">Passage vectors, as wide as the queries.</param>
    public static double[][] Cosines(IReadOnlyList<float[]> queries, IReadOnlyList<float[]> passages) =>
        [.. queries.Select(q => passages.Select(p => (double)TensorPrimitives.Dot(q, p)).ToArray())];
}
