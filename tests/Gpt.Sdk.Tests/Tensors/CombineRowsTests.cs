using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Tests.Tensors;

public class CombineRowsTests
{
    [Fact]
    public void ForwardIsTheWeightedSumAndBackwardMatchesFiniteDifferences()
    {
        var device = Device.Cpu;
        var segment = new ParameterSegment("test");
        var input = segment.Declare("x", new Shape(2, 3, 4), ParameterInit.Normal(1f));   // (R = 6, C = 4)
        segment.Allocate(device);
        segment.Initialize(5);
        float[] weights = [0.5f, 0.5f, 0, 0, 0, 0, 0, 0, 0, 1f / 3, 1f / 3, 1f / 3];          // (2, 6): a mean of 2 and of 3 rows
        float[] target = Enumerable.Range(0, 8).Select(i => (float)Math.Sin(i + 1)).ToArray();
        using var tape = new Tape(device);
        double Loss()
        {
            tape.Reset();
            using var noGrad = tape.NoGrad();
            var y = tape.CombineRows(tape.Constant(weights, new Shape(2, 6)), input.Value);
            return y.ToArray().Zip(target, (a, b) => (double)a * b).Sum();
        }

        tape.Reset();
        var pooled = tape.CombineRows(tape.Constant(weights, new Shape(2, 6)), input.Value);   // (2, 4)
        var x = input.Value.ToArray();
        var y = pooled.ToArray();
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal((x[c] + x[4 + c]) / 2, y[c], 1e-6f);
            Assert.Equal((x[12 + c] + x[16 + c] + x[20 + c]) / 3, y[4 + c], 1e-6f);
        }

        segment.ZeroGradients();
        tape.Backward(pooled, target);
        var analytic = new float[segment.Count];
        device.Download(segment.AllGradients, analytic);
        FiniteDifferences.Check(x, v => input.Value.CopyFrom(v), Loss, analytic, "x");
        segment.Dispose();
    }

    [Fact]
    public void WeightsOfTheWrongShapeOrWithAGradientAreRefused()
    {
        using var tape = new Tape(Device.Cpu);
        var input = tape.Constant(new float[12], new Shape(3, 4));
        Assert.Throws<ArgumentException>(() => tape.CombineRows(tape.Constant(new float[4], new Shape(2, 2)), input));
    }
}
