using Gpt.Kernels.Devices;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Tensors;

public class NewOpsGradientTests
{
    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    // A scalar objective Σ wᵢ·yᵢ with fixed random weights exercises every output element's gradient.
    private static void CheckOp(int inputLength, Shape shape, Func<Tape, Tensor, Tensor> op, string what)
    {
        using var tape = new Tape(Device.Cpu);
        float[] x = Random(inputLength, 1, 2f);
        using var input = Tensor.FromArray(Device.Cpu, x, shape);
        input.RequiresGrad = true;
        var y = op(tape, input);
        float[] weights = Random(y.Length, 2);
        tape.Backward(y, weights);
        float[] analytic = input.Grad!.ToArray();

        double F()
        {
            tape.Reset();
            using var _ = tape.NoGrad();
            float[] output = op(tape, input).ToArray();
            double sum = 0;
            for (int i = 0; i < output.Length; i++) sum += (double)weights[i] * output[i];
            return sum;
        }

        FiniteDifferences.Check(x, v => input.CopyFrom(v), F, analytic, what);
    }

    [Fact]
    public void TokenLogProbsGradientMatchesFiniteDifferences() =>
        CheckOp(4 * 7, new Shape(4, 7), (tape, logits) => tape.TokenLogProbs(logits, tape.Indices([3, -1, 0, 6])), "log p");

    [Fact]
    public void TokenLogProbsAreLogSoftmaxAtTheTarget()
    {
        using var tape = new Tape(Device.Cpu);
        float[] x = Random(2 * 5, 4, 3f);
        var logits = tape.Constant(x, new Shape(2, 5));
        float[] logp = tape.TokenLogProbs(logits, tape.Indices([2, -1])).ToArray();
        double lse = Math.Log(x.Take(5).Sum(v => Math.Exp(v)));
        Assert.Equal(x[2] - lse, logp[0], 5);
        Assert.Equal(0f, logp[1]);
    }

    [Fact]
    public void ScaleGradientMatchesFiniteDifferences() =>
        CheckOp(6, new Shape(2, 3), (tape, x) => tape.Scale(x, -2.5f), "scale");

    [Fact]
    public void SelectRowsGradientMatchesFiniteDifferences() =>
        CheckOp(4 * 3, new Shape(2, 2, 3), (tape, x) => tape.SelectRows(x, tape.Indices([3, 0, 3])), "select rows");

    // y = addend + α·x·Wᵀ with x (2, 3, 4), W (5, 4), addend (2, 3, 5): the gradient of each operand in turn, the
    // other two held constant.
    private static readonly float[] AddLinearAddend = Random(2 * 3 * 5, 21), AddLinearInput = Random(2 * 3 * 4, 22), AddLinearWeight = Random(5 * 4, 23);

    [Fact]
    public void AddLinearGradientsMatchFiniteDifferences()
    {
        using var addend = Tensor.FromArray(Device.Cpu, AddLinearAddend, new Shape(2, 3, 5));
        using var input = Tensor.FromArray(Device.Cpu, AddLinearInput, new Shape(2, 3, 4));
        using var weight = Tensor.FromArray(Device.Cpu, AddLinearWeight, new Shape(5, 4));
        CheckOp(AddLinearAddend.Length, addend.Shape, (tape, a) => tape.AddLinear(a, input, weight, -1.5f), "add linear: addend");
        CheckOp(AddLinearInput.Length, input.Shape, (tape, x) => tape.AddLinear(addend, x, weight, -1.5f), "add linear: input");
        CheckOp(AddLinearWeight.Length, weight.Shape, (tape, w) => tape.AddLinear(addend, input, w, -1.5f), "add linear: weight");
    }

    // The addend's gradient shares the output's when it has none yet; another use of the addend, recorded before the op
    // (its backward runs after and adds to the shared buffer) or after it (the addend has a gradient already), still sums.
    [Fact]
    public void AddLinearAddendGradientSumsWithTheAddendsOtherUses()
    {
        using var input = Tensor.FromArray(Device.Cpu, AddLinearInput, new Shape(2, 3, 4));
        using var weight = Tensor.FromArray(Device.Cpu, AddLinearWeight, new Shape(5, 4));
        CheckOp(AddLinearAddend.Length, new Shape(2, 3, 5), (tape, a) =>
        {
            var addend = tape.Scale(a, 1f); // an op's output, as the base layer's is
            var other = tape.Scale(addend, 2f);
            return tape.Add(other, tape.AddLinear(addend, input, weight, 0.5f));
        }, "add linear: addend used earlier");
        CheckOp(AddLinearAddend.Length, new Shape(2, 3, 5), (tape, a) =>
        {
            var addend = tape.Scale(a, 1f);
            var sum = tape.AddLinear(addend, input, weight, 0.5f);
            return tape.Add(sum, tape.Scale(addend, 2f));
        }, "add linear: addend used later");
    }

    // Backward from a given output gradient equals Backward of the weighted sum computed on the tape.
    [Fact]
    public void BackwardFromAGradientEqualsBackwardOfTheWeightedSum()
    {
        using var tape = new Tape(Device.Cpu);
        float[] x = Random(12, 5);
        using var input = Tensor.FromArray(Device.Cpu, x, new Shape(3, 4));
        input.RequiresGrad = true;
        float[] g = Random(3, 6);
        tape.Backward(tape.TokenLogProbs(input, tape.Indices([1, 2, 3])), g);
        float[] fromGradient = input.Grad!.ToArray();

        input.Grad = null;
        tape.Reset();
        var logp = tape.TokenLogProbs(input, tape.Indices([1, 2, 3]));
        // Σ gᵢ·log pᵢ as a linear layer (1, 3)·(3)ᵀ on the tape.
        var weighted = tape.Linear(logp, tape.Constant(g, new Shape(1, 3)), bias: null);
        tape.Backward(weighted);
        Assert.Equal(input.Grad!.ToArray(), fromGradient, new FloatTolerance(1e-6f));
    }

    [Fact]
    public void BackwardFromAGradientRefusesAWrongLength()
    {
        using var tape = new Tape(Device.Cpu);
        using var input = Tensor.FromArray(Device.Cpu, Random(4, 1), new Shape(4));
        input.RequiresGrad = true;
        var y = tape.Scale(input, 2f);
        Assert.Throws<ArgumentException>(() => tape.Backward(y, new float[3]));
    }

    // Only tape-made logits are overwritten with their gradient: a caller's own tensor keeps its values.
    [Fact]
    public void CrossEntropyNeverOverwritesACallersTensor()
    {
        float[] x = Random(2 * 4, 8, 2f);
        using var tape = new Tape(Device.Cpu);
        using var logits = Tensor.FromArray(Device.Cpu, x, new Shape(2, 4));
        logits.RequiresGrad = true;
        tape.Backward(tape.CrossEntropy(logits, tape.Indices([1, 3]), 2));
        Assert.Equal(x, logits.ToArray());
        Assert.NotSame(logits, logits.Grad);
    }

    // Cross-entropy may write the logits' gradient over the logits, but not while an op recorded earlier still reads them
    // in its backward (here the per-token log-probabilities of the same logits, as DPO or a logprob metric would take).
    [Fact]
    public void CrossEntropyDoesNotCorruptLogitsAnEarlierOpStillReads()
    {
        float[] x = Random(3 * 6, 7, 2f);
        int[] targets = [1, 4, 5];
        float[] Gradient(bool withCrossEntropy, bool withLogProbs)
        {
            using var tape = new Tape(Device.Cpu);
            using var input = Tensor.FromArray(Device.Cpu, x, new Shape(3, 6));
            input.RequiresGrad = true;
            // The logits are an op's output (as the LM head's are), so cross-entropy is allowed to reuse them.
            var logits = tape.Scale(input, 1f);
            Tensor? total = null;
            if (withLogProbs)
            {
                var logp = tape.TokenLogProbs(logits, tape.Indices(targets));
                total = tape.Linear(logp, tape.Constant([0.5f, -1f, 2f], new Shape(1, 3)), bias: null);
            }

            if (withCrossEntropy)
            {
                var ce = tape.CrossEntropy(logits, tape.Indices(targets), 3);
                total = total is null ? ce : tape.Add(total, ce);
            }

            tape.Backward(total!);
            return input.Grad!.ToArray();
        }

        float[] both = Gradient(true, true), ce = Gradient(true, false), logp = Gradient(false, true);
        for (int i = 0; i < both.Length; i++) Assert.Equal(ce[i] + logp[i], both[i], 5);
    }
}

internal sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;

    public int GetHashCode(float value) => 0;
}
