using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class EmbeddingTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 1 }, { 7, 7 }, { 63, 63 }, { 65, 65 }, { 127, 127 }, { 129, 129 }, { 256, 768 },
    };

    // Ids with many repeats, so the backward pass's summation order matters.
    private static int[] Ids(int count, int tableRows)
    {
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = (i * 31 + i / 3) % tableRows;
        return ids;
    }

    [Fact]
    public void ReferenceBackwardMatchesFiniteDifferences()
    {
        const int count = 12, dim = 5, tableRows = 4;
        int[] ids = Ids(count, tableRows);
        float[] table = TestData.Uniform(tableRows * dim, 1), lossWeights = TestData.Uniform(count * dim, 2);
        var output = new float[count * dim];
        double Loss()
        {
            EmbeddingKernels.Forward(ids, table, output, count, dim, tableRows);
            return TestData.Dot(output, lossWeights);
        }
        var dTable = new float[tableRows * dim];
        EmbeddingKernels.Backward(ids, lossWeights, dTable, count, dim);
        GradientCheck.Check(table, dTable, Loss);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastMatchesReference(int count, int dim)
    {
        int tableRows = Math.Max(1, count / 3);
        int[] ids = Ids(count, tableRows);
        float[] table = TestData.Uniform(tableRows * dim, 3), dOutput = TestData.Uniform(count * dim, 4);
        var outRef = new float[count * dim];
        var outFast = new float[count * dim];
        EmbeddingKernels.Forward(ids, table, outRef, count, dim, tableRows);
        CpuEmbedding.Forward(ids, table, outFast, count, dim, tableRows);
        TestData.BitEqual(outRef, outFast);
        for (int d = 0; d < dim; d++) Assert.Equal(table[ids[count - 1] * dim + d], outFast[(count - 1) * dim + d]);

        // Both add the ids' rows in index order, column by column: identical bits.
        float[] dRef = TestData.Uniform(tableRows * dim, 5), dFast = (float[])dRef.Clone();
        EmbeddingKernels.Backward(ids, dOutput, dRef, count, dim);
        CpuEmbedding.Backward(ids, dOutput, dFast, count, dim);
        TestData.BitEqual(dRef, dFast);
    }

    [Fact]
    public void FastBackwardIsDeterministic()
    {
        const int count = 1024, dim = 768, tableRows = 50;
        int[] ids = Ids(count, tableRows);
        float[] dOutput = TestData.Uniform(count * dim, 6);
        var first = new float[tableRows * dim];
        var second = new float[tableRows * dim];
        CpuEmbedding.Backward(ids, dOutput, first, count, dim);
        CpuEmbedding.Backward(ids, dOutput, second, count, dim);
        TestData.BitEqual(first, second);
    }

    [Fact]
    public void IdOutsideTheTableIsRefusedBeforeAnythingIsWritten()
    {
        const int dim = 3, tableRows = 4;
        float[] table = TestData.Uniform(tableRows * dim, 7);
        foreach (int bad in new[] { -1, tableRows })
        {
            int[] ids = [0, 1, bad];
            float[] output = Enumerable.Repeat(9f, 3 * dim).ToArray(), dTable = Enumerable.Repeat(9f, tableRows * dim).ToArray();
            TestData.Refused("ids", () => EmbeddingKernels.Forward(ids, table, output, 3, dim, tableRows));
            TestData.Refused("ids", () => CpuEmbedding.Forward(ids, table, output, 3, dim, tableRows));
            TestData.Refused("ids", () => EmbeddingKernels.Backward(ids, output, dTable, 3, dim));
            TestData.Refused("ids", () => CpuEmbedding.Backward(ids, output, dTable, 3, dim));
            Assert.All(output, v => Assert.Equal(9f, v));
            Assert.All(dTable, v => Assert.Equal(9f, v));
        }
    }

    [Fact]
    public void BadInputIsRefused()
    {
        int[] ids = [0, 1];
        float[] table = new float[6], output = new float[6];
        TestData.Refused("count", () => EmbeddingKernels.Forward(ids, table, output, -1, 3, 2));
        TestData.Refused("ids", () => CpuEmbedding.Forward(ids, table, output, 3, 2, 3));
        TestData.Refused("table", () => CpuEmbedding.Forward(ids, table, output, 2, 3, 3));
        TestData.Refused("output", () => EmbeddingKernels.Forward(ids, table, new float[5], 2, 3, 2));
        TestData.Refused("dOutput", () => CpuEmbedding.Backward(ids, new float[5], table, 2, 3));
    }
}
