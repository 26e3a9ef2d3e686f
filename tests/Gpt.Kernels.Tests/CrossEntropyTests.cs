using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class CrossEntropyTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 1 }, { 3, 7 }, { 4, 63 }, { 5, 65 }, { 2, 127 }, { 6, 129 }, { 33, 771 }, { 3, 50257 },
    };

    // Every third row ignored (negative target), the rest spread over the vocabulary.
    private static int[] Targets(int rows, int vocab)
    {
        var targets = new int[rows];
        for (int r = 0; r < rows; r++) targets[r] = r % 3 == 2 ? -1 : (r * 7919) % vocab;
        return targets;
    }

    [Fact]
    public void ReferenceForwardMatchesLogSoftmaxInDouble()
    {
        const int rows = 4, vocab = 10;
        float[] logits = TestData.Uniform(rows * vocab, 1, 5f);
        int[] targets = [3, -1, 0, 9];
        var losses = new float[rows];
        var lse = new float[rows];
        CrossEntropyKernels.Forward(logits, targets, losses, lse, rows, vocab);
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < vocab; c++) sum += Math.Exp(logits[r * vocab + c]);
            Assert.Equal(Math.Log(sum), lse[r], 1e-5);
            Assert.Equal(targets[r] < 0 ? 0 : Math.Log(sum) - logits[r * vocab + targets[r]], losses[r], 1e-5);
        }
    }

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferences()
    {
        const int rows = 5, vocab = 9;
        float[] logits = TestData.Uniform(rows * vocab, 2, 3f), dLosses = TestData.Uniform(rows, 3);
        int[] targets = Targets(rows, vocab);
        var losses = new float[rows];
        var lse = new float[rows];
        double Loss()
        {
            CrossEntropyKernels.Forward(logits, targets, losses, lse, rows, vocab);
            return TestData.Dot(losses, dLosses);
        }
        Loss();
        var dLogits = new float[rows * vocab];
        CrossEntropyKernels.Backward(logits, lse, targets, dLosses, dLogits, rows, vocab);
        GradientCheck.Check(logits, dLogits, Loss);
        for (int c = 0; c < vocab; c++) Assert.Equal(0f, dLogits[2 * vocab + c]); // row 2 is ignored
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastMatchesReference(int rows, int vocab)
    {
        float[] logits = TestData.Uniform(rows * vocab, vocab, 6f), dLosses = TestData.Uniform(rows, 4);
        int[] targets = Targets(rows, vocab);
        var (lossRef, lseRef) = (new float[rows], new float[rows]);
        var (lossFast, lseFast) = (new float[rows], new float[rows]);
        CrossEntropyKernels.Forward(logits, targets, lossRef, lseRef, rows, vocab);
        CpuCrossEntropy.Forward(logits, targets, lossFast, lseFast, rows, vocab);
        // Sums of up to 50257 exponentials in another order: relative error ~ 1e-6 of the sum, i.e.
        // ~1e-6 absolute in the log; the loss inherits that absolute error.
        TestData.Close(lseRef, lseFast, 1e-6f, 2e-6f);
        TestData.Close(lossRef, lossFast, 1e-6f, 2e-6f);
        for (int r = 0; r < rows; r++) if (targets[r] < 0) Assert.Equal(0f, lossFast[r]);

        var dRef = new float[rows * vocab];
        var dFast = new float[rows * vocab];
        CrossEntropyKernels.Backward(logits, lseRef, targets, dLosses, dRef, rows, vocab);
        CpuCrossEntropy.Backward(logits, lseRef, targets, dLosses, dFast, rows, vocab);
        // exp(z - lse) in vector form against MathF.Exp: an ulp or two per element.
        TestData.Close(dRef, dFast, 1e-6f, 1e-12f);

        // In place: the gradient overwrites the logits themselves.
        float[] inPlaceRef = (float[])logits.Clone(), inPlaceFast = (float[])logits.Clone();
        CrossEntropyKernels.Backward(inPlaceRef, lseRef, targets, dLosses, inPlaceRef, rows, vocab);
        CpuCrossEntropy.Backward(inPlaceFast, lseRef, targets, dLosses, inPlaceFast, rows, vocab);
        TestData.BitEqual(dRef, inPlaceRef);
        TestData.BitEqual(dFast, inPlaceFast);
    }

    [Fact]
    public void BadTargetIsRefusedBeforeAnythingIsWritten()
    {
        const int rows = 3, vocab = 5;
        float[] logits = TestData.Uniform(rows * vocab, 5);
        int[] targets = [1, 5, 2];
        float[] losses = [7f, 7f, 7f], lse = [7f, 7f, 7f];
        TestData.Refused("targets", () => CrossEntropyKernels.Forward(logits, targets, losses, lse, rows, vocab));
        TestData.Refused("targets", () => CpuCrossEntropy.Forward(logits, targets, losses, lse, rows, vocab));
        Assert.All(losses, v => Assert.Equal(7f, v));
        Assert.All(lse, v => Assert.Equal(7f, v));
        var dLogits = Enumerable.Repeat(7f, rows * vocab).ToArray();
        TestData.Refused("targets", () => CpuCrossEntropy.Backward(logits, lse, targets, losses, dLogits, rows, vocab));
        Assert.All(dLogits, v => Assert.Equal(7f, v));
    }

    [Fact]
    public void BadInputIsRefused()
    {
        const int rows = 3, vocab = 5;
        float[] logits = new float[rows * vocab], perRow = new float[rows];
        int[] targets = [0, 1, 2];
        TestData.Refused("vocab", () => CrossEntropyKernels.Forward(logits, targets, perRow, perRow, rows, -5));
        TestData.Refused("logits", () => CpuCrossEntropy.Forward(new float[14], targets, perRow, perRow, rows, vocab));
        TestData.Refused("targets", () => CpuCrossEntropy.Forward(logits, [0, 1], perRow, perRow, rows, vocab));
        TestData.Refused("losses", () => CrossEntropyKernels.Forward(logits, targets, new float[2], perRow, rows, vocab));
        TestData.Refused("dLogits", () => CpuCrossEntropy.Backward(logits, perRow, targets, perRow, new float[14], rows, vocab));
        TestData.Refused("dLogits", () => CpuCrossEntropy.Backward(logits, perRow, targets, perRow, logits.AsSpan(1), rows - 1, vocab));
    }
}
