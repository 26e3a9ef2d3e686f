using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// PPO's two clipped losses on the tape, over the N response tokens of a minibatch (only tokens that exist: the mean is
/// TRL's masked mean), composed from existing ops. Policy: mean of max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)) with ρ = exp(log π −
/// log π_old). Value: ½·mean of max((V − R)², (V_clipped − R)²) with V_clipped = V_old + clip(V − V_old, −ε_v, ε_v).
/// </summary>
internal static class PpoLoss
{
    /// <summary>The clipped surrogate policy loss, a scalar.</summary>
    /// <param name="tape">Records the loss.</param>
    /// <param name="logProbs">log π of each token under the policy being trained (N).</param>
    /// <param name="oldLogProbs">log π_old at the rollout (N).</param>
    /// <param name="advantages">A (N).</param>
    /// <param name="clipRange">ε.</param>
    public static Tensor Policy(Tape tape, Tensor logProbs, ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> advantages, float clipRange)
    {
        int n = logProbs.Length;
        var shape = new Shape(n);
        var negated = new float[n];
        for (int i = 0; i < n; i++) negated[i] = -advantages[i];
        var minusA = tape.Constant(negated, shape);
        var ratio = tape.Exp(tape.Subtract(logProbs, tape.Constant(oldLogProbs, shape)));             // (N)
        var unclipped = tape.Multiply(ratio, minusA);
        var clipped = tape.Multiply(tape.Clamp(ratio, 1 - clipRange, 1 + clipRange), minusA);
        return tape.Mean(tape.Maximum(unclipped, clipped));
    }

    /// <summary>The clipped value loss, a scalar.</summary>
    /// <param name="tape">Records the loss.</param>
    /// <param name="values">V predicted by the value head being trained (N).</param>
    /// <param name="oldValues">V_old at the rollout (N).</param>
    /// <param name="returns">R, GAE's returns (N).</param>
    /// <param name="clipRange">ε_v.</param>
    public static Tensor Value(Tape tape, Tensor values, ReadOnlySpan<float> oldValues, ReadOnlySpan<float> returns, float clipRange)
    {
        var shape = new Shape(values.Length);
        var old = tape.Constant(oldValues, shape);
        var target = tape.Constant(returns, shape);
        var clippedValues = tape.Add(old, tape.Clamp(tape.Subtract(values, old), -clipRange, clipRange));
        var error = tape.Subtract(values, target);
        var clippedError = tape.Subtract(clippedValues, target);
        var worst = tape.Maximum(tape.Multiply(error, error), tape.Multiply(clippedError, clippedError));
        return tape.Scale(tape.Mean(worst), 0.5f);
    }

    /// <summary>Diagnostics of a minibatch, from the host copies: the policy's clip fraction (tokens whose clipped term is
    /// the larger), TRL's approx. KL ½·mean((log ρ)²), and the value clip fraction.</summary>
    public static (double ClipFraction, double ApproxKl, double ValueClipFraction) Statistics(ReadOnlySpan<float> logProbs,
        ReadOnlySpan<float> oldLogProbs, ReadOnlySpan<float> advantages, ReadOnlySpan<float> values, ReadOnlySpan<float> oldValues,
        ReadOnlySpan<float> returns, float clipRange, float valueClipRange)
    {
        int n = logProbs.Length, clipped = 0, valueClipped = 0;
        double kl = 0;
        for (int i = 0; i < n; i++)
        {
            double logRatio = logProbs[i] - oldLogProbs[i];
            double ratio = Math.Exp(logRatio);
            double a = -advantages[i];
            if (a * Math.Clamp(ratio, 1 - clipRange, 1 + clipRange) > a * ratio) clipped++;
            kl += 0.5 * logRatio * logRatio;
            double v = values[i], vClipped = oldValues[i] + Math.Clamp(v - oldValues[i], -valueClipRange, valueClipRange);
            if ((vClipped - returns[i]) * (vClipped - returns[i]) > (v - returns[i]) * (v - returns[i])) valueClipped++;
        }
        return ((double)clipped / n, kl / n, (double)valueClipped / n);
    }
}
