using System.Globalization;
using System.Runtime.InteropServices;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Training;
using Xunit.Abstractions;

namespace Gpt.Sdk.Tests.Reference;

/// <summary>
/// llm.c's test_gpt2 in spirit: the SDK against a GPT-2 written independently in PyTorch
/// (tests/reference/pytorch/gpt2_reference.py writes the data). A 2-layer, 4-head, 32-wide model
/// (vocab 61, context 16) with random weights, one batch of B=2, T=12 with one ignored target:
/// logits, loss, every parameter's gradient, and the loss over 10 AdamW steps.
/// </summary>
/// <remarks>
/// The reference values were computed in float64 from the float32 weights and rounded to float32,
/// so they carry no float32 error; what remains is ours. PyTorch's own float32 run of the same
/// computation lands at most 1.4e-6 from them on the logits (3e-7 of the largest logit, 4.5), 3e-7
/// on the loss, 9e-7 of a tensor's largest gradient on its gradients, and 8e-7 on the 10 losses.
/// The SDK sums in another order (blocked, SIMD GEMMs, a fused attention, a vector exp), so each
/// tolerance below allows about ten times that spread: an order of magnitude above float32
/// rounding, well below a real mistake (a wrong scale, a missing term or a transposed weight moves
/// these numbers by far more).
/// </remarks>
public class PyTorchParityTests(ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Reference");

    [Fact]
    public void LogitsMatchPyTorch()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(Path.Combine(Folder, "gpt2_tiny"));
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();

        float[] logits = model.Forward(tape, reference.Ids, reference.Batch, reference.SeqLen).ToArray();

        var (maxAbs, scale) = Parity.Compare(logits, reference.Logits);
        output.WriteLine($"logits: max abs error {maxAbs:E2}, largest |logit| {scale:F4}, relative to it {maxAbs / scale:E2}");
        Assert.True(maxAbs <= 1e-5 * scale, $"logits differ from PyTorch by up to {maxAbs:E3} (largest |logit| {scale:F4}).");
    }

    [Fact]
    public void LossMatchesPyTorch()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(Path.Combine(Folder, "gpt2_tiny"));
        using var tape = new Tape(model.Device);

        float loss = model.Loss(tape, reference.Ids, reference.Targets, reference.Batch, reference.SeqLen).ToArray()[0];

        double error = Math.Abs(loss - reference.Loss);
        output.WriteLine($"loss: ours {loss:G9}, PyTorch {reference.Loss:G9}, abs error {error:E2}");
        Assert.True(error <= 1e-5 * reference.Loss, $"loss {loss:G9} differs from PyTorch's {reference.Loss:G9} by {error:E3}.");
    }

    [Fact]
    public void EveryParameterGradientMatchesPyTorch()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(Path.Combine(Folder, "gpt2_tiny"));
        using var tape = new Tape(model.Device);
        model.Parameters.ZeroGradients();

        tape.Backward(model.Loss(tape, reference.Ids, reference.Targets, reference.Batch, reference.SeqLen));

        Assert.Equal(model.Parameters.Items.Count, reference.GradientCount);
        double worst = 0;
        foreach (var p in model.Parameters.Items)
        {
            float[] expected = reference.Gradient(p);
            var (maxAbs, scale) = Parity.Compare(p.Value.Grad!.ToArray(), expected);
            output.WriteLine($"{p.Name,-24} max abs error {maxAbs:E2}, largest |grad| {scale:E2}, relative to it {maxAbs / scale:E2}");
            Assert.True(scale > 1e-4, $"{p.Name}: the reference gradient is ~0, so this check would prove nothing.");
            Assert.True(maxAbs <= 1e-5 * scale, $"{p.Name}: gradient differs from PyTorch by up to {maxAbs:E3} (largest |grad| {scale:E3}).");
            worst = Math.Max(worst, maxAbs / scale);
        }

        output.WriteLine($"worst gradient error relative to its tensor's largest |grad|: {worst:E2}");
    }

    [Fact]
    public void TenAdamWStepsFollowPyTorchLosses()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(Path.Combine(Folder, "gpt2_tiny"));
        using var tape = new Tape(model.Device);
        using var optimizer = new AdamW(model.Parameters, reference.Beta1, reference.Beta2, reference.Epsilon, reference.WeightDecay);

        var losses = new float[reference.Losses.Length];
        for (int step = 0; step < losses.Length; step++)
        {
            model.Parameters.ZeroGradients();
            tape.Reset();
            var loss = model.Loss(tape, reference.Ids, reference.Targets, reference.Batch, reference.SeqLen);
            losses[step] = loss.ToArray()[0];
            tape.Backward(loss);
            optimizer.Step(reference.LearningRate);
        }

        for (int step = 0; step < losses.Length; step++)
        {
            double error = Math.Abs(losses[step] - reference.Losses[step]);
            output.WriteLine($"step {step}: ours {losses[step]:F7}, PyTorch {reference.Losses[step]:F7}, abs error {error:E2}");
            // Ten updates compound the per-step error; 1e-5 absolute is still ~10× PyTorch's own
            // float32 drift (8e-7), and below the subtlest wrong update rule tried: leaving weight
            // decay out altogether moves step 1's loss by 3.4e-5.
            Assert.True(error <= 1e-5, $"step {step}: loss {losses[step]:G9} differs from PyTorch's {reference.Losses[step]:G9} by {error:E3}.");
        }
    }

    /// <summary>gpt2_tiny_expected.safetensors: the batch, PyTorch's results and the optimizer settings.</summary>
    private sealed class Expected : IDisposable
    {
        private const string GradientPrefix = "grad.";
        private readonly SafetensorsFile _file;

        private Expected(SafetensorsFile file)
        {
            _file = file;
            var shape = file["ids"].Shape;
            Batch = (int)shape[0];
            SeqLen = (int)shape[1];
            Ids = ReadInts("ids");
            Targets = ReadInts("targets");
            Logits = ReadFloats("logits");
            Loss = ReadFloats("loss")[0];
            Losses = ReadFloats("losses");
            foreach (var tensor in file.Tensors)
                if (tensor.Name.StartsWith(GradientPrefix, StringComparison.Ordinal)) GradientCount++;
        }

        public int Batch { get; }

        public int SeqLen { get; }

        public int[] Ids { get; }

        public int[] Targets { get; }

        public float[] Logits { get; }

        public float Loss { get; }

        public float[] Losses { get; }

        public int GradientCount { get; }

        public float LearningRate => Setting("lr");

        public float Beta1 => Setting("beta1");

        public float Beta2 => Setting("beta2");

        public float Epsilon => Setting("eps");

        public float WeightDecay => Setting("weight_decay");

        public static Expected Load() => new(SafetensorsFile.Open(Path.Combine(Folder, "gpt2_tiny_expected.safetensors")));

        /// <summary>PyTorch's gradient of <paramref name="p"/>, in the SDK's layout.</summary>
        public float[] Gradient(Parameter p) => Parity.InSdkLayout(p, ReadFloats(GradientPrefix + p.Name));

        public void Dispose() => _file.Dispose();

        private float[] ReadFloats(string name)
        {
            var values = new float[_file[name].ElementCount];
            _file.ReadFloat32(name, values);
            return values;
        }

        private int[] ReadInts(string name)
        {
            var values = new int[_file[name].ElementCount];
            _file.ReadBytes(name, MemoryMarshal.AsBytes(values.AsSpan())); // I32, little-endian like this machine
            return values;
        }

        private float Setting(string key) => float.Parse(_file.Metadata[key], CultureInfo.InvariantCulture);
    }
}
