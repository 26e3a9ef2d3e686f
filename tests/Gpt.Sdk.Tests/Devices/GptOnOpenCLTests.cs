using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Training;
using Xunit.Abstractions;

namespace Gpt.Sdk.Tests.Devices;

/// <summary>
/// A whole 2-layer GPT on the OpenCL device (POCL in CI) against the same model on the CPU: logits, loss, every
/// gradient after backward, and every parameter after one AdamW step. Dropout is on, so the device's masks must
/// be the CPU's. Tolerances: the two sides sum in different orders (SIMD lanes vs trees of threads) and GPU
/// exp/tanh differ in the last bits, so values agree to about 1e-5 of their scale.
/// </summary>
public sealed class GptOnOpenCLTests(ITestOutputHelper output)
{
    /// <summary>Logits and loss: relative to the largest magnitude.</summary>
    private const float ForwardTolerance = 1e-5f;

    /// <summary>Each parameter's gradient: relative to that parameter's largest gradient.</summary>
    private const float GradientTolerance = 1e-5f;

    /// <summary>Parameters after the step: absolute. With ε = 1e-4 an update moves by at most ~lr, and a gradient
    /// difference δ moves it by lr·δ/ε (≈ 1e-3 · 1e-7 / 1e-4 = 1e-6).</summary>
    private const float ParameterTolerance = 1e-5f;

    private sealed record Result(float[] Logits, float Loss, float[] Gradients, float[] Parameters);

    [OpenCLFact]
    public void ForwardBackwardAndAdamWStepMatchTheCpu()
    {
        GptConfig config = TinyModels.TwoLayer(dropout: 0.1f) with { EmbeddingSize = 16, VocabularySize = 37 };
        const int batch = 2, seqLen = 7;
        int[] ids = TinyModels.RandomIds(batch * seqLen, config.VocabularySize, 1);
        int[] targets = TinyModels.RandomIds(batch * seqLen, config.VocabularySize, 2);
        targets[4] = -1; // an ignored position

        Result cpu = Run(Device.Cpu, config, ids, targets, batch, seqLen);
        Result openCL = Run(Device.Get(DeviceKind.OpenCL), config, ids, targets, batch, seqLen);

        Assert.True(MathF.Abs(cpu.Loss - openCL.Loss) <= ForwardTolerance * cpu.Loss, $"loss {openCL.Loss} on OpenCL, {cpu.Loss} on the CPU");
        float logitsError = CloseToScale("logits", cpu.Logits, openCL.Logits, ForwardTolerance), gradientError = 0f, parameterError = 0f;
        using var layout = new GptModel(config);
        foreach (Parameter p in layout.Parameters.Items)
        {
            int offset = (int)p.Offset, length = p.Value.Length;
            gradientError = MathF.Max(gradientError,
                CloseToScale($"{p.Name} gradient", cpu.Gradients.AsSpan(offset, length), openCL.Gradients.AsSpan(offset, length), GradientTolerance));
        }
        Assert.Contains(cpu.Gradients, g => MathF.Abs(g) > 1e-3f); // the comparison is not vacuous
        for (int i = 0; i < cpu.Parameters.Length; i++)
        {
            parameterError = MathF.Max(parameterError, MathF.Abs(cpu.Parameters[i] - openCL.Parameters[i]));
            Assert.True(MathF.Abs(cpu.Parameters[i] - openCL.Parameters[i]) <= ParameterTolerance,
                $"parameter {i} after the step: {openCL.Parameters[i]} on OpenCL, {cpu.Parameters[i]} on the CPU");
        }
        output.WriteLine($"loss {cpu.Loss} (CPU) vs {openCL.Loss} (OpenCL); largest errors: logits {logitsError:E2} of scale, " +
            $"gradients {gradientError:E2} of each parameter's scale, parameters after AdamW {parameterError:E2} absolute");
    }

    private static Result Run(Device device, GptConfig config, int[] ids, int[] targets, int batch, int seqLen)
    {
        const ulong dropoutSeed = 99;
        using var model = new GptModel(config, device, seed: 7);
        using var tape = new Tape(device) { IsTraining = true };
        float[] logits;
        using (tape.NoGrad()) logits = model.Forward(tape, ids, batch, seqLen, dropoutSeed).ToArray();
        tape.Reset();

        model.Parameters.ZeroGradients();
        Tensor loss = model.Loss(tape, ids, targets, batch, seqLen, dropoutSeed);
        tape.Backward(loss);
        float lossValue = loss.ToArray()[0];
        var gradients = new float[model.Parameters.Count];
        device.Download(model.Parameters.AllGradients, gradients);

        using var optimizer = new AdamW(model.Parameters, epsilon: 1e-4f);
        optimizer.Step(learningRate: 1e-3f);
        var parameters = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(parameters);
        return new Result(logits, lossValue, gradients, parameters);
    }

    /// <summary>Asserts every |expected − actual| ≤ relative·max|expected|; returns the largest error over that scale.</summary>
    private static float CloseToScale(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float relative)
    {
        float scale = 1e-30f, worst = 0f;
        foreach (float e in expected) scale = MathF.Max(scale, MathF.Abs(e));
        for (int i = 0; i < expected.Length; i++)
        {
            float error = MathF.Abs(expected[i] - actual[i]);
            if (!(error <= relative * scale))
                Assert.Fail($"{what}[{i}]: {actual[i]} on OpenCL, {expected[i]} on the CPU (scale {scale})");
            worst = MathF.Max(worst, error / scale);
        }
        return worst;
    }
}
