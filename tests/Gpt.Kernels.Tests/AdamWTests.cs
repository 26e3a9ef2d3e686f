using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Tests;

public class AdamWTests
{
    [Fact]
    public void FirstStepMatchesAHandComputedValue()
    {
        // g = 0.5: m = 0.05, v = 0.00025; mhat = 0.5, vhat = 0.25;
        // param = 1 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.01 * 1) = 0.899 (to 2e-9).
        // Tolerances: 1 - beta in float is off by an ulp of 1 (6e-8), relative 1e-4 for 1 - 0.999f.
        float[] param = [1f], grad = [0.5f], m = [0f], v = [0f];
        AdamWKernels.Step(param, grad, m, v, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, 1, 1f);
        Assert.Equal(0.05f, m[0], 1e-7f);
        Assert.Equal(0.00025f, v[0], 5e-8f);
        Assert.Equal(0.899f, param[0], 1e-6f);
    }

    [Fact]
    public void ReferenceMatchesThePyTorchFormulationInDouble()
    {
        // PyTorch's AdamW: p *= 1 - lr wd; p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps).
        const int count = 9, steps = 5;
        const double lr = 3e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1, scale = 0.5;
        float[] param = TestData.Uniform(count, 1), m = new float[count], v = new float[count];
        double[] p = param.Select(x => (double)x).ToArray(), md = new double[count], vd = new double[count];
        for (int step = 1; step <= steps; step++)
        {
            float[] grad = TestData.Uniform(count, 10 + step);
            AdamWKernels.Step(param, grad, m, v, count, (float)lr, (float)b1, (float)b2, (float)eps, (float)wd, step, (float)scale);
            double bc1 = 1 - Math.Pow((float)b1, step), bc2 = 1 - Math.Pow((float)b2, step);
            for (int i = 0; i < count; i++)
            {
                double g = grad[i] * scale;
                md[i] = (float)b1 * md[i] + (1 - (float)b1) * g;
                vd[i] = (float)b2 * vd[i] + (1 - (float)b2) * g * g;
                p[i] *= 1 - (float)lr * (float)wd;
                p[i] -= (float)lr / bc1 * md[i] / (Math.Sqrt(vd[i]) / Math.Sqrt(bc2) + (float)eps);
            }
        }
        for (int i = 0; i < count; i++) Assert.True(Math.Abs(p[i] - param[i]) <= 1e-6, $"param {i}: {param[i]} vs {p[i]}");
    }

    [Theory]
    [InlineData(1), InlineData(7), InlineData(63), InlineData(65), InlineData(127), InlineData(129), InlineData(100_003)]
    public void FastIsBitIdenticalToReference(int count)
    {
        float[] paramRef = TestData.Uniform(count, 1), grad = TestData.Uniform(count, 2);
        float[] mRef = TestData.Uniform(count, 3, 0.1f), vRef = TestData.Uniform(count, 4, 0.01f).Select(Math.Abs).ToArray();
        float[] paramFast = (float[])paramRef.Clone(), mFast = (float[])mRef.Clone(), vFast = (float[])vRef.Clone();
        for (int step = 3; step <= 4; step++)
        {
            AdamWKernels.Step(paramRef, grad, mRef, vRef, count, 6e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step, 0.7f);
            CpuAdamW.Step(paramFast, grad, mFast, vFast, count, 6e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step, 0.7f);
        }
        // The same IEEE operations in the same order, no fused multiply-add.
        TestData.BitEqual(paramRef, paramFast);
        TestData.BitEqual(mRef, mFast);
        TestData.BitEqual(vRef, vFast);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        float[] x = new float[4];
        void Step(float[] m, float beta1, float epsilon, int step) =>
            CpuAdamW.Step(x, x, m, x, 4, 1e-3f, beta1, 0.999f, epsilon, 0f, step, 1f);
        TestData.Refused("step", () => Step(x, 0.9f, 1e-8f, 0));
        TestData.Refused("beta1", () => Step(x, 1f, 1e-8f, 1));
        TestData.Refused("epsilon", () => Step(x, 0.9f, -1f, 1));
        TestData.Refused("m", () => Step(new float[3], 0.9f, 1e-8f, 1));
        TestData.Refused("count", () => AdamWKernels.Step(x, x, x, x, -1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1, 1f));
        TestData.Refused("learningRate", () => AdamWKernels.Step(x, x, x, x, 4, float.NaN, 0.9f, 0.999f, 1e-8f, 0f, 1, 1f));
    }
}
