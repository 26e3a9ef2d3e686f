using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// log π(response | prompt) of each of a <see cref="PreferenceBatch"/>'s 2N rows, chosen rows first, in one forward pass:
/// trunk → LM head → the log-probability of every response token (<see cref="PerToken"/>, what a per-token objective
/// such as PPO reads) → one masked sum per row (DPO), or a masked mean (IPO's per-token average, as TRL takes it).
/// </summary>
internal static class SequenceLogProbs
{
    /// <summary>Log-probabilities (2N, T) of the batch's targets, 0 where a position predicts no response token.</summary>
    public static Tensor PerToken(Tape tape, GptModel model, PreferenceBatch batch, LoraAdapter? adapter, ulong dropoutSeed)
    {
        var options = new ForwardOptions { Adapter = adapter, DropoutSeed = dropoutSeed };
        var hidden = model.ForwardHidden(tape, batch.Inputs, batch.Rows, batch.SequenceLength, options);  // (2N, T, C)
        var logits = model.LmHead.Logits(tape, hidden);                                                     // (2N, T, V)
        var tokens = tape.TokenLogProbs(logits, tape.Indices(batch.Targets));                               // (2N·T)
        tokens.Shape = new Shape(batch.Rows, batch.SequenceLength);                                          // (2N, T), same memory
        return tokens;
    }

    /// <summary>Per row, the sum (or, with <paramref name="average"/>, the mean) of its response tokens' log-probabilities:
    /// (2N), the N chosen responses first.</summary>
    public static Tensor Of(Tape tape, GptModel model, PreferenceBatch batch, LoraAdapter? adapter, ulong dropoutSeed, bool average)
    {
        var tokens = PerToken(tape, model, batch, adapter, dropoutSeed);
        return tape.RowSum(tokens, tape.Constant(average ? MeanWeights(batch) : batch.ResponseMask, tokens.Shape));
    }

    /// <summary>The N chosen and N rejected rows of per-row values (2N), as (N, 1) each; gradients flow back to both halves.</summary>
    public static (Tensor Chosen, Tensor Rejected) Split(Tape tape, Tensor rows, int pairs)
    {
        if (rows.Length != 2 * pairs) throw new ArgumentException($"{rows.Length} row values for {pairs} pairs; give 2 per pair, chosen rows first.", nameof(rows));
        rows.Shape = new Shape(2 * pairs, 1);
        Span<int> chosen = pairs <= 256 ? stackalloc int[pairs] : new int[pairs];
        Span<int> rejected = pairs <= 256 ? stackalloc int[pairs] : new int[pairs];
        for (int i = 0; i < pairs; i++)
        {
            chosen[i] = i;
            rejected[i] = pairs + i;
        }
        return (tape.SelectRows(rows, tape.Indices(chosen)), tape.SelectRows(rows, tape.Indices(rejected)));
    }

    // The response mask divided by each row's response length: a row's weighted sum is then its mean.
    private static float[] MeanWeights(PreferenceBatch batch)
    {
        int t = batch.SequenceLength;
        var weights = new float[batch.ResponseMask.Length];
        for (int r = 0; r < batch.Rows; r++)
        {
            var mask = batch.ResponseMask.AsSpan(r * t, t);
            float count = 0;
            foreach (float m in mask) count += m;
            for (int i = 0; i < t; i++) weights[r * t + i] = mask[i] / count;
        }
        return weights;
    }
}
