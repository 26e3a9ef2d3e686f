using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// One forward pass over prompt + response sequences (right-padded, so causal attention leaves the real tokens as they
/// are) that reads only the positions predicting response tokens: their log-probabilities at the sampling temperature
/// (N) and, with a value head, their values (N), N being the samples' response tokens in order. The logits (N, V) are
/// kept for the entropy.
/// </summary>
internal static class ResponsePass
{
    public readonly record struct Output(Tensor LogProbs, Tensor? Values, Tensor Logits);

    public static Output Run(Tape tape, GptModel model, LoraAdapter? adapter, ScalarHead? valueHead, IReadOnlyList<RolloutSample> samples, float temperature)
    {
        int batch = samples.Count, length = 0, n = 0;
        foreach (var s in samples)
        {
            length = Math.Max(length, s.PromptTokens.Length + s.Length);
            n += s.Length;
        }
        var ids = new int[batch * length];                              // (B, T), padded with token 0 after each sequence
        var positions = new int[n];
        var targets = new int[n];
        int k = 0;
        for (int b = 0; b < batch; b++)
        {
            var s = samples[b];
            int row = b * length, p = s.PromptTokens.Length;
            s.PromptTokens.CopyTo(ids, row);
            s.ResponseTokens.CopyTo(ids, row + p);
            for (int j = 0; j < s.Length; j++, k++)
            {
                positions[k] = row + p + j - 1;                         // the position whose output predicts response token j
                targets[k] = s.ResponseTokens[j];
            }
        }

        var hidden = model.ForwardHidden(tape, ids, batch, length, new ForwardOptions { Adapter = adapter });   // (B, T, C)
        var selected = tape.SelectRows(hidden, tape.Indices(positions));                                       // (N, C)
        var logits = model.LmHead.Logits(tape, selected);                                                        // (N, V)
        if (temperature != 1f) logits = tape.Scale(logits, 1f / temperature);
        var logProbs = tape.TokenLogProbs(logits, tape.Indices(targets));                                        // (N)
        Tensor? values = null;
        if (valueHead is not null)
        {
            var rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = i;
            values = valueHead.Forward(tape, selected, rows);                                                    // (N)
        }
        return new Output(logProbs, values, logits);
    }

    /// <summary>Mean entropy of the rows of <paramref name="logits"/> (N, V), in double on the host.</summary>
    public static double MeanEntropy(Tensor logits)
    {
        float[] host = logits.ToArray();
        int vocab = logits.Shape.Last, rows = host.Length / vocab;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = host.AsSpan(r * vocab, vocab);
            double max = double.NegativeInfinity;
            foreach (float x in row) max = Math.Max(max, x);
            double sum = 0, weighted = 0;
            foreach (float x in row)
            {
                double e = Math.Exp(x - max);
                sum += e;
                weighted += e * (x - max);
            }
            total += Math.Log(sum) - weighted / sum;                     // H = log Σe − Σ p·(x − max)
        }
        return total / rows;
    }
}
