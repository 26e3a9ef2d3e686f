namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// Okapi BM25 over a fixed collection, the lexical baseline of <c>gpt bench retrieval</c>: terms are the lower-cased
/// runs of letters and digits (no stemming, no stop list: the inverse document frequency weighs common words down), and
/// <c>score(q, d) = Σ_{t in q} idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 − b + b · |d| / avgdl))</c> with
/// Lucene's non-negative <c>idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))</c>. A term repeated in the query counts
/// each time, as in rank_bm25.
/// </summary>
internal sealed class Bm25
{
    private readonly Dictionary<string, int>[] _termCounts;   // per document: term -> occurrences
    private readonly int[] _lengths;
    private readonly Dictionary<string, double> _idf = new(StringComparer.Ordinal);
    private readonly double _averageLength;

    /// <summary>Indexes <paramref name="documents"/>.</summary>
    /// <param name="documents">The collection; at least one document.</param>
    /// <param name="k1">Term-frequency saturation.</param>
    /// <param name="b">Length normalisation, in [0, 1].</param>
    public Bm25(IReadOnlyList<string> documents, double k1 = 1.2, double b = 0.75)
    {
        if (documents.Count == 0) throw new ArgumentException("BM25 needs at least one document.", nameof(documents));
        if (!(k1 >= 0) || !(b >= 0 && b <= 1)) throw new ArgumentOutOfRangeException(nameof(k1), $"k1 must be ≥ 0 and b in [0, 1]; got k1 {k1}, b {b}.");
        K1 = k1;
        B = b;
        _termCounts = new Dictionary<string, int>[documents.Count];
        _lengths = new int[documents.Count];
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int d = 0; d < documents.Count; d++)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (string term in Terms(documents[d]))
            {
                counts[term] = counts.GetValueOrDefault(term) + 1;
                _lengths[d]++;
            }
            foreach (string term in counts.Keys) documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
            _termCounts[d] = counts;
        }
        _averageLength = _lengths.Average();
        int n = documents.Count;
        foreach (var (term, df) in documentFrequency) _idf[term] = Math.Log(1 + (n - df + 0.5) / (df + 0.5));
    }

    /// <summary>k1.</summary>
    public double K1 { get; }

    /// <summary>b.</summary>
    public double B { get; }

    /// <summary>The score of every document for <paramref name="query"/>, in collection order.</summary>
    /// <param name="query">The query text.</param>
    public double[] Scores(string query)
    {
        var scores = new double[_termCounts.Length];
        foreach (string term in Terms(query))
        {
            if (!_idf.TryGetValue(term, out double idf)) continue;   // in no document: adds nothing anywhere
            for (int d = 0; d < scores.Length; d++)
            {
                int tf = _termCounts[d].GetValueOrDefault(term);
                if (tf == 0) continue;
                double norm = K1 * (1 - B + B * _lengths[d] / _averageLength);
                scores[d] += idf * tf * (K1 + 1) / (tf + norm);
            }
        }
        return scores;
    }

    /// <summary>The terms of <paramref name="text"/>: lower-cased runs of letters and digits, in order.</summary>
    /// <param name="text">Any text.</param>
    public static IEnumerable<string> Terms(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            if (!char.IsLetterOrDigit(text[i]))
            {
                i++;
                continue;
            }
            int start = i;
            while (i < text.Length && char.IsLetterOrDigit(text[i])) i++;
            yield return text[start..i].ToLowerInvariant();
        }
    }
}
