namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Symmetric InfoNCE with in-batch negatives (CLIP, cpt-text; sentence-transformers' MultipleNegativesRankingLoss both
/// ways), on the host in double precision, with its gradients with respect to the raw (unnormalised) embeddings and the
/// log-temperature. For N queries q and N + M documents d (the N positives, then M hard negatives), with unit vectors
/// q̂ = q/‖q‖, d̂ = d/‖d‖ and logits z_ij = q̂_i·d̂_j / τ, τ = exp(θ):
/// L = ½·(mean_i CE(z_i·, i) + mean_{j&lt;N} CE(z_·j restricted to the N queries, j)): each query must pick its positive
/// among all documents, and each positive its query among the queries (hard negatives are only candidates). This is
/// the middle step of gradient caching: the loss of the whole batch from embeddings computed chunk by chunk.
/// </summary>
internal static class InfoNce
{
    /// <summary>The loss, its gradients and the in-batch accuracy.</summary>
    /// <param name="Loss">L.</param>
    /// <param name="QueryGradient">dL/dq (N·D).</param>
    /// <param name="DocumentGradient">dL/dd ((N + M)·D).</param>
    /// <param name="LogTemperatureGradient">dL/dθ.</param>
    /// <param name="Accuracy">Fraction of queries whose highest-scoring document is their positive.</param>
    public readonly record struct Result(double Loss, float[] QueryGradient, float[] DocumentGradient, double LogTemperatureGradient, double Accuracy);

    public static Result Compute(ReadOnlySpan<float> queries, ReadOnlySpan<float> documents, int pairs, int dimension, double logTemperature)
    {
        int n = pairs, docs = documents.Length / dimension;
        if (n < 1 || queries.Length != n * dimension || documents.Length != docs * dimension || docs < n)
            throw new ArgumentException($"InfoNCE needs {n} query and at least {n} document vectors of width {dimension}; got {queries.Length} and {documents.Length} values.");
        var (qHat, qNorm) = Normalized(queries, n, dimension);
        var (dHat, dNorm) = Normalized(documents, docs, dimension);
        double scale = Math.Exp(-logTemperature);
        var z = new double[n * docs];                                     // z[i, j] = q̂_i·d̂_j / τ
        Parallel.For(0, n, i =>
        {
            for (int j = 0; j < docs; j++)
            {
                double dot = 0;
                for (int k = 0; k < dimension; k++) dot += qHat[i * dimension + k] * dHat[j * dimension + k];
                z[i * docs + j] = dot * scale;
            }
        });

        var dz = new double[n * docs];                                    // dL/dz
        double loss = 0, weight = 0.5 / n;
        int correct = 0;
        for (int i = 0; i < n; i++)                                       // query → documents: row i over all documents
        {
            double max = double.NegativeInfinity;
            int best = 0;
            for (int j = 0; j < docs; j++)
                if (z[i * docs + j] > max) (max, best) = (z[i * docs + j], j);
            if (best == i) correct++;
            double sum = 0;
            for (int j = 0; j < docs; j++) sum += Math.Exp(z[i * docs + j] - max);
            loss += weight * (max + Math.Log(sum) - z[i * docs + i]);
            for (int j = 0; j < docs; j++) dz[i * docs + j] += weight * Math.Exp(z[i * docs + j] - max) / sum;
            dz[i * docs + i] -= weight;
        }

        for (int j = 0; j < n; j++)                                       // document → queries: column j over the N queries
        {
            double max = double.NegativeInfinity;
            for (int i = 0; i < n; i++) max = Math.Max(max, z[i * docs + j]);
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Exp(z[i * docs + j] - max);
            loss += weight * (max + Math.Log(sum) - z[j * docs + j]);
            for (int i = 0; i < n; i++) dz[i * docs + j] += weight * Math.Exp(z[i * docs + j] - max) / sum;
            dz[j * docs + j] -= weight;
        }

        double dTheta = 0;                                                // z = s·exp(−θ): dz/dθ = −z
        for (int i = 0; i < dz.Length; i++) dTheta -= dz[i] * z[i];

        // dL/dq̂_i = Σ_j dL/dz_ij·d̂_j/τ and dL/dd̂_j = Σ_i dL/dz_ij·q̂_i/τ, then through the normalisation.
        var qGrad = new float[n * dimension];
        var dGrad = new float[docs * dimension];
        Parallel.For(0, n, i =>
        {
            var g = new double[dimension];
            for (int j = 0; j < docs; j++)
            {
                double w = dz[i * docs + j] * scale;
                for (int k = 0; k < dimension; k++) g[k] += w * dHat[j * dimension + k];
            }
            ThroughNormalization(g, qHat.AsSpan(i * dimension, dimension), qNorm[i], qGrad.AsSpan(i * dimension, dimension));
        });
        Parallel.For(0, docs, j =>
        {
            var g = new double[dimension];
            for (int i = 0; i < n; i++)
            {
                double w = dz[i * docs + j] * scale;
                for (int k = 0; k < dimension; k++) g[k] += w * qHat[i * dimension + k];
            }
            ThroughNormalization(g, dHat.AsSpan(j * dimension, dimension), dNorm[j], dGrad.AsSpan(j * dimension, dimension));
        });

        return new Result(loss, qGrad, dGrad, dTheta, (double)correct / n);
    }

    private static (double[] Unit, double[] Norms) Normalized(ReadOnlySpan<float> vectors, int count, int dimension)
    {
        var unit = new double[count * dimension];
        var norms = new double[count];
        for (int r = 0; r < count; r++)
        {
            double sum = 0;
            for (int k = 0; k < dimension; k++) sum += (double)vectors[r * dimension + k] * vectors[r * dimension + k];
            double norm = Math.Sqrt(sum);
            norms[r] = norm;
            if (norm == 0) continue;                                      // a zero vector stays zero and gets no gradient
            for (int k = 0; k < dimension; k++) unit[r * dimension + k] = vectors[r * dimension + k] / norm;
        }

        return (unit, norms);
    }

    // û = u/‖u‖: dL/du = (g − (g·û)·û)/‖u‖.
    private static void ThroughNormalization(double[] g, ReadOnlySpan<double> unit, double norm, Span<float> gradient)
    {
        if (norm == 0) return;
        double along = 0;
        for (int k = 0; k < g.Length; k++) along += g[k] * unit[k];
        for (int k = 0; k < g.Length; k++) gradient[k] = (float)((g[k] - along * unit[k]) / norm);
    }
}
