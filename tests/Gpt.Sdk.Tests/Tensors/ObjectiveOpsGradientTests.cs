using Gpt.Kernels.Devices;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tests.Devices;

namespace Gpt.Sdk.Tests.Tensors;

/// <summary>
/// The tape ops the alignment objectives are written with: each gradient against central finite differences, the
/// conventions where the derivative is not defined (a clamp bound, a min/max tie) pinned to PyTorch's, and DPO's and
/// PPO's losses composed from them. Finite-difference inputs stay further than the step (0.01) from clamp bounds and
/// ties, where the function has a kink and the quotient would average two slopes.
/// </summary>
public class ObjectiveOpsGradientTests
{
    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    // The objective Σ wᵢ·yᵢ with fixed random weights exercises every output element's gradient; each input in turn
    // is perturbed and its gradient compared.
    private static void CheckGradients(string what, Func<Tape, Tensor[], Tensor> op, params (float[] Values, Shape Shape)[] inputs)
    {
        using var tape = new Tape(Device.Cpu);
        Tensor[] tensors = [.. inputs.Select(i => Tensor.FromArray(Device.Cpu, i.Values, i.Shape))];
        try
        {
            foreach (Tensor t in tensors) t.RequiresGrad = true;
            var y = op(tape, tensors);
            float[] weights = Random(y.Length, 99);
            tape.Backward(y, weights);
            float[][] analytic = [.. tensors.Select(t => t.Grad!.ToArray())];

            double F()
            {
                tape.Reset();
                using var _ = tape.NoGrad();
                float[] output = op(tape, tensors).ToArray();
                double sum = 0;
                for (int i = 0; i < output.Length; i++) sum += (double)weights[i] * output[i];
                return sum;
            }

            for (int k = 0; k < tensors.Length; k++)
            {
                Tensor input = tensors[k];
                FiniteDifferences.Check((float[])inputs[k].Values.Clone(), v => input.CopyFrom(v), F, analytic[k], $"{what} input {k}");
            }
        }
        finally
        {
            foreach (Tensor t in tensors) t.Dispose();
        }
    }

    // Gradients of Σ yᵢ (a seed of one per output element) with respect to each input.
    private static float[][] UnitGradients(Func<Tape, Tensor[], Tensor> op, params float[][] inputs)
    {
        using var tape = new Tape(Device.Cpu);
        Tensor[] tensors = [.. inputs.Select(v => Tensor.FromArray(Device.Cpu, v, new Shape(v.Length)))];
        try
        {
            foreach (Tensor t in tensors) t.RequiresGrad = true;
            var y = op(tape, tensors);
            tape.Backward(y, Enumerable.Repeat(1f, y.Length).ToArray());
            return [.. tensors.Select(t => t.Grad!.ToArray())];
        }
        finally
        {
            foreach (Tensor t in tensors) t.Dispose();
        }
    }

    [Fact]
    public void SubtractGradientMatchesFiniteDifferences() =>
        CheckGradients("subtract", (tape, x) => tape.Subtract(x[0], x[1]), (Random(6, 1), new Shape(2, 3)), (Random(6, 2), new Shape(2, 3)));

    [Fact]
    public void MultiplyGradientMatchesFiniteDifferences()
    {
        CheckGradients("multiply", (tape, x) => tape.Multiply(x[0], x[1]), (Random(6, 3, 2f), new Shape(2, 3)), (Random(6, 4, 2f), new Shape(2, 3)));
        // x·x: both factors are the same tensor, so its gradient gets both contributions, 2x.
        CheckGradients("square", (tape, x) => tape.Multiply(x[0], x[0]), (Random(5, 5, 2f), new Shape(5)));
    }

    [Fact]
    public void ExpGradientMatchesFiniteDifferences() =>
        CheckGradients("exp", (tape, x) => tape.Exp(x[0]), (Random(7, 6, 2f), new Shape(7)));

    [Fact]
    public void LogSigmoidGradientMatchesFiniteDifferences() =>
        CheckGradients("log-sigmoid", (tape, x) => tape.LogSigmoid(x[0]), (Random(8, 7, 6f), new Shape(2, 4)));

    [Fact]
    public void ClampGradientMatchesFiniteDifferences() =>
        // Below, inside and above [−0.5, 0.8], each at least 0.05 from a bound.
        CheckGradients("clamp", (tape, x) => tape.Clamp(x[0], -0.5f, 0.8f),
            ([-1.7f, -0.3f, 0.1f, 0.95f, 1.4f, -0.62f, 0.5f, -0.45f], new Shape(8)));

    [Fact]
    public void MinimumAndMaximumGradientsMatchFiniteDifferences()
    {
        float[] a = Random(8, 8, 2f), b = new float[8];
        // b differs from a by 0.1 to 1 either way: no ties within the step.
        for (int i = 0; i < 8; i++) b[i] = a[i] + (i % 2 == 0 ? 1 : -1) * (0.1f + 0.1f * i);
        CheckGradients("minimum", (tape, x) => tape.Minimum(x[0], x[1]), (a, new Shape(8)), (b, new Shape(8)));
        CheckGradients("maximum", (tape, x) => tape.Maximum(x[0], x[1]), (a, new Shape(8)), (b, new Shape(8)));
    }

    [Fact]
    public void RowSumGradientMatchesFiniteDifferences()
    {
        float[] mask = [0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0.5f, 1, 1, 1, 0];
        CheckGradients("row sum", (tape, x) => tape.RowSum(x[0], tape.Constant(mask, new Shape(3, 5))), (Random(15, 9, 3f), new Shape(3, 5)));
    }

    [Fact]
    public void MeanGradientMatchesFiniteDifferences() =>
        CheckGradients("mean", (tape, x) => tape.Mean(x[0]), (Random(6, 10, 2f), new Shape(2, 3)));

    [Fact]
    public void RowSumAndMeanComputeWhatTheySay()
    {
        using var tape = new Tape(Device.Cpu);
        var x = tape.Constant([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3));
        var rows = tape.RowSum(x, tape.Constant([1f, 0f, 1f, 0.5f, 1f, 0f], new Shape(2, 3)));
        Assert.Equal(new Shape(2), rows.Shape);
        Assert.Equal([4f, 7f], rows.ToArray());
        var mean = tape.Mean(x);
        Assert.Equal(0, mean.Shape.Rank);
        Assert.Equal(3.5f, mean.ToArray()[0]);
    }

    // PyTorch's clamp passes the gradient at a bound (its mask is x ≥ min and x ≤ max); outside, none.
    [Fact]
    public void ClampPassesTheGradientAtItsBounds()
    {
        float[][] g = UnitGradients((tape, x) => tape.Clamp(x[0], -0.5f, 0.8f), [-0.5f, 0.8f, -0.51f, 0.81f, 0f]);
        Assert.Equal([1f, 1f, 0f, 0f, 1f], g[0]);
    }

    // torch.minimum and torch.maximum split a tie's gradient evenly between the operands.
    [Fact]
    public void MinimumAndMaximumSplitATieEvenly()
    {
        float[] a = [1f, 2f, 3f], b = [1f, 5f, 0f];
        float[][] min = UnitGradients((tape, x) => tape.Minimum(x[0], x[1]), a, b);
        Assert.Equal([0.5f, 1f, 0f], min[0]);
        Assert.Equal([0.5f, 0f, 1f], min[1]);
        float[][] max = UnitGradients((tape, x) => tape.Maximum(x[0], x[1]), a, b);
        Assert.Equal([0.5f, 0f, 1f], max[0]);
        Assert.Equal([0.5f, 1f, 0f], max[1]);
        // min(x, x) = x: the two halves land on the same tensor.
        Assert.Equal([1f, 1f], UnitGradients((tape, x) => tape.Minimum(x[0], x[0]), [2f, -3f])[0]);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        using var tape = new Tape(Device.Cpu);
        var three = tape.Constant([1f, 2f, 3f], new Shape(3));
        var two = tape.Constant([1f, 2f], new Shape(2));
        Assert.Throws<ArgumentException>(() => tape.Subtract(three, two));
        Assert.Throws<ArgumentException>(() => tape.Multiply(three, two));
        Assert.Throws<ArgumentException>(() => tape.Minimum(two, three));
        Assert.Throws<ArgumentException>(() => tape.Maximum(three, two));
        Assert.Throws<ArgumentException>(() => tape.RowSum(three, two));
        Assert.Throws<ArgumentException>(() => tape.Mean(tape.Constant([], new Shape(0))));
        Assert.Equal("high", Assert.Throws<ArgumentOutOfRangeException>(() => tape.Clamp(three, 1f, 0f)).ParamName);
        // Weights that require a gradient would silently get none: refused.
        using var parameter = Tensor.FromArray(Device.Cpu, [1f, 1f, 1f], new Shape(3));
        parameter.RequiresGrad = true;
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => tape.RowSum(three, parameter)).ParamName);
    }

    // DPO for 3 pairs, from per-token log-probabilities (B, T) = (3, 4) and completion masks to the mean loss
    // −log σ(β·((π_c − π_r) − (ref_c − ref_r))), the way the DPO objective will compute it.
    private static readonly float[] ChosenLogProbs = [-1.2f, -0.7f, -2.1f, -0.4f, -0.3f, -1.5f, -0.9f, -1.1f, -2.2f, -0.6f, -0.8f, -1.9f];
    private static readonly float[] ChosenMask = [0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0];
    private static readonly float[] RejectedLogProbs = [-1.0f, -2.3f, -1.7f, -0.5f, -0.8f, -0.4f, -2.6f, -1.3f, -1.4f, -1.1f, -0.2f, -3.0f];
    private static readonly float[] RejectedMask = [0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1];
    private static readonly float[] ReferenceChosen = [-3.0f, -2.2f, -1.5f], ReferenceRejected = [-4.1f, -4.0f, -3.1f];
    private const float Beta = 0.5f;

    private static Tensor DpoLoss(Tape tape, Tensor chosen, Tensor rejected)
    {
        var policyChosen = tape.RowSum(chosen, tape.Constant(ChosenMask, new Shape(3, 4)));        // (B)
        var policyRejected = tape.RowSum(rejected, tape.Constant(RejectedMask, new Shape(3, 4)));  // (B)
        var referenceMargin = tape.Subtract(tape.Constant(ReferenceChosen, new Shape(3)), tape.Constant(ReferenceRejected, new Shape(3)));
        var margin = tape.Subtract(tape.Subtract(policyChosen, policyRejected), referenceMargin);
        var losses = tape.Scale(tape.LogSigmoid(tape.Scale(margin, Beta)), -1f);                // (B)
        return tape.Mean(losses);                                                               // ()
    }

    [Fact]
    public void DpoLossEqualsTheHandComputedValueAndItsGradientMatchesFiniteDifferences()
    {
        using var tape = new Tape(Device.Cpu);
        using var chosen = Tensor.FromArray(Device.Cpu, ChosenLogProbs, new Shape(3, 4));
        using var rejected = Tensor.FromArray(Device.Cpu, RejectedLogProbs, new Shape(3, 4));
        chosen.RequiresGrad = rejected.RequiresGrad = true;
        var loss = DpoLoss(tape, chosen, rejected);

        // By hand: π_c = (−3.2, −2.0, −1.4), π_r = (−4.0, −4.3, −3.2), so π_c − π_r = (0.8, 2.3, 1.8); ref_c − ref_r =
        // (1.1, 1.8, 1.6); z = β·(−0.3, 0.5, 0.2) = (−0.15, 0.25, 0.1); −log σ(z) = log(1 + e^−z) = (0.770957, 0.575939,
        // 0.644397); their mean is 0.6637644.
        Assert.Equal(0.6637644f, loss.ToArray()[0], 1e-6f);

        tape.Backward(loss);
        float[] dChosen = chosen.Grad!.ToArray(), dRejected = rejected.Grad!.ToArray();
        // d loss/d chosen[r, t] = −β·σ(−z_r)/3 on the completion's tokens, 0 on the prompt's; the rejected side's is its negation.
        double[] z = [-0.15, 0.25, 0.1];
        for (int i = 0; i < 12; i++)
        {
            double slope = Beta / 3 / (1 + Math.Exp(z[i / 4]));
            Assert.Equal(-slope * ChosenMask[i], dChosen[i], 1e-6);
            Assert.Equal(slope * RejectedMask[i], dRejected[i], 1e-6);
        }

        double F()
        {
            tape.Reset();
            using var _ = tape.NoGrad();
            return DpoLoss(tape, chosen, rejected).ToArray()[0];
        }

        FiniteDifferences.Check((float[])ChosenLogProbs.Clone(), v => chosen.CopyFrom(v), F, dChosen, "DPO d chosen log p");
        FiniteDifferences.Check((float[])RejectedLogProbs.Clone(), v => rejected.CopyFrom(v), F, dRejected, "DPO d rejected log p");
    }

    // The same DPO loss and gradients on the OpenCL device (POCL in CI): the tape ops reach the generated kernels.
    [OpenCLFact]
    public void DpoLossAndGradientsOnOpenCLMatchTheCpu()
    {
        (float Loss, float[] DChosen, float[] DRejected) Run(Device device)
        {
            using var tape = new Tape(device);
            using var chosen = Tensor.FromArray(device, ChosenLogProbs, new Shape(3, 4));
            using var rejected = Tensor.FromArray(device, RejectedLogProbs, new Shape(3, 4));
            chosen.RequiresGrad = rejected.RequiresGrad = true;
            var loss = DpoLoss(tape, chosen, rejected);
            tape.Backward(loss);
            return (loss.ToArray()[0], chosen.Grad!.ToArray(), rejected.Grad!.ToArray());
        }

        var cpu = Run(Device.Cpu);
        var openCL = Run(Device.Get(DeviceKind.OpenCL));
        // GPU exp/log1p may differ from the CPU's in the last bits.
        Assert.Equal(cpu.Loss, openCL.Loss, 1e-6f);
        Assert.Equal(cpu.DChosen, openCL.DChosen, new FloatTolerance(1e-6f));
        Assert.Equal(cpu.DRejected, openCL.DRejected, new FloatTolerance(1e-6f));
    }

    // PPO's clipped surrogate and clipped value loss over 2 sequences of 3 tokens, masked means of both, with the
    // inputs chosen so that some ratios are clipped and some not, one surrogate takes the clipped branch (ratio 1.49
    // with a positive advantage: no gradient), and some value errors take the clipped branch.
    [Fact]
    public void PpoLossGradientMatchesFiniteDifferences()
    {
        const float epsilon = 0.2f, valueEpsilon = 0.3f;
        float[] oldLogProbs = [-1.0f, -0.5f, -2.0f, -1.5f, -0.7f, -0.9f];
        float[] advantages = [0.8f, -0.6f, 1.2f, 1.1f, 0.4f, 0.9f];
        float[] oldValues = [0.2f, -0.4f, 1.0f, 0.0f, 0.5f, -0.2f];
        float[] returns = [0.9f, -0.2f, 0.3f, 0.7f, -0.5f, 0.1f];
        float[] mask = [1, 1, 0, 1, 1, 1];
        float tokens = mask.Sum();
        // log p − log p_old ∈ {−0.5, 0.1, 0.05, 0.4, −0.1, −0.35}: ratios e^… on both sides of [0.8, 1.2], none within
        // 0.01 of a bound; v − v_old ∈ {0.6, −0.1, −0.5, 0.45, 0.15, −0.6}.
        float[] logProbs = [-1.5f, -0.4f, -1.95f, -1.1f, -0.8f, -1.25f];
        float[] values = [0.8f, -0.5f, 0.5f, 0.45f, 0.65f, -0.8f];

        Tensor Loss(Tape tape, Tensor[] x)
        {
            Tensor logp = x[0], v = x[1];
            var weights = tape.Constant([.. mask.Select(m => m / tokens)], new Shape(1, 6));        // a masked mean as a row sum
            var advantage = tape.Constant(advantages, new Shape(6));
            var ratio = tape.Exp(tape.Subtract(logp, tape.Constant(oldLogProbs, new Shape(6))));
            var surrogate = tape.Minimum(tape.Multiply(ratio, advantage), tape.Multiply(tape.Clamp(ratio, 1 - epsilon, 1 + epsilon), advantage));
            var policyLoss = tape.Scale(tape.RowSum(surrogate, weights), -1f);

            var vOld = tape.Constant(oldValues, new Shape(6));
            var target = tape.Constant(returns, new Shape(6));
            var clipped = tape.Add(vOld, tape.Clamp(tape.Subtract(v, vOld), -valueEpsilon, valueEpsilon));
            var error = tape.Subtract(v, target);
            var clippedError = tape.Subtract(clipped, target);
            var valueLoss = tape.RowSum(tape.Maximum(tape.Multiply(error, error), tape.Multiply(clippedError, clippedError)), weights);
            return tape.Add(policyLoss, tape.Scale(valueLoss, 0.5f));
        }

        CheckGradients("PPO", Loss, (logProbs, new Shape(6)), (values, new Shape(6)));
    }
}
