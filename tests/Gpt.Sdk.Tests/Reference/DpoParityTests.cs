using System.Globalization;
using System.Runtime.InteropServices;
using Gpt.Kernels.Devices;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Training;
using Xunit.Abstractions;

namespace Gpt.Sdk.Tests.Reference;

/// <summary>
/// DPO and IPO against an independent PyTorch implementation of TRL's definitions (tests/reference/pytorch/dpo_reference.py
/// writes the data; its docstring is the contract): (a) the loss, its gradients with respect to the policy's
/// log-probabilities and the reward metrics, for given policy and reference log-probabilities, plain, label-smoothed and
/// IPO; (b) through the tiny GPT-2 of <see cref="PyTorchParityTests"/>: a batch of 3 pairs of different lengths, right-padded,
/// the sequence log-probabilities (sums, and IPO's per-token means), and the loss's gradient with respect to every weight.
/// </summary>
/// <remarks>
/// The reference is float64 rounded to float32. PyTorch's own float32 run lands within 5e-8 (relative to the largest) of it
/// on the loss-only gradients and 1e-7 on the losses, within 2.7e-6 absolute of the sequence sums (largest 25) and within
/// 2.3e-6 of a tensor's largest gradient through the model. The tolerances are about ten times that, as in the other parity
/// tests: above float32 rounding in another order, far below a real mistake (a sum where IPO takes a mean moves the
/// log-probabilities by a factor of 3 to 6, a prompt token counted in a response by 1 or more, β on the wrong side of
/// the log σ changes the gradient by a factor of β).
/// </remarks>
public class DpoParityTests(ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Reference");

    [Theory]
    [InlineData("sigmoid")]
    [InlineData("smoothed")]
    [InlineData("ipo")]
    public void LossGradientsAndRewardMetricsMatchPyTorchForGivenLogProbabilities(string setting)
    {
        using var reference = Expected.Load();
        var options = reference.Options(setting);
        float[] chosen = reference.Floats("logps.policy_chosen"), rejected = reference.Floats("logps.policy_rejected");
        float[] referenceChosen = reference.Floats("logps.reference_chosen"), referenceRejected = reference.Floats("logps.reference_rejected");
        using var tape = new Tape(Device.Cpu);
        using var chosenTensor = Tensor.FromArray(Device.Cpu, chosen, new Shape(chosen.Length));
        using var rejectedTensor = Tensor.FromArray(Device.Cpu, rejected, new Shape(rejected.Length));
        chosenTensor.RequiresGrad = rejectedTensor.RequiresGrad = true;

        var loss = DpoLoss.Compute(tape, chosenTensor, rejectedTensor, referenceChosen, referenceRejected, options);
        float value = loss.ToArray()[0];
        tape.Backward(loss);

        float expectedLoss = reference.Floats(setting + ".loss")[0];
        output.WriteLine($"{setting}: loss ours {value:G9}, PyTorch {expectedLoss:G9}");
        Assert.True(Math.Abs(value - expectedLoss) <= 1e-6 * Math.Max(1, Math.Abs(expectedLoss)), $"loss {value:G9} differs from PyTorch's {expectedLoss:G9}.");
        AssertClose($"{setting} d loss / d log π(chosen)", chosenTensor.Grad!.ToArray(), reference.Floats(setting + ".grad_chosen"), 1e-6);
        AssertClose($"{setting} d loss / d log π(rejected)", rejectedTensor.Grad!.ToArray(), reference.Floats(setting + ".grad_rejected"), 1e-6);

        var metrics = new DpoMetrics();
        metrics.Add(value, chosen, rejected, referenceChosen, referenceRejected, options.Beta);
        var values = metrics.Values();
        float[] expected = reference.Floats(setting + ".metrics");
        string[] names = [DpoMetrics.RewardChosen, DpoMetrics.RewardRejected, DpoMetrics.RewardAccuracy, DpoMetrics.RewardMargin];
        for (int i = 0; i < names.Length; i++)
            Assert.True(Math.Abs(values[names[i]] - expected[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"{names[i]}: ours {values[names[i]]}, PyTorch {expected[i]}.");
    }

    [Fact]
    public void RightPaddedPairsAreLaidOutAsPyTorchsBatch()
    {
        using var reference = Expected.Load();
        var batch = PreferenceBatch.Create(reference.Pairs());

        Assert.Equal(reference.Ints("model.input_ids"), batch.Inputs);
        Assert.Equal(reference.Ints("model.targets"), batch.Targets);
    }

    [Theory]
    [InlineData(false, "model.sums")]
    [InlineData(true, "model.means")]
    public void SequenceLogProbabilitiesMatchPyTorch(bool average, string key)
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(Path.Combine(Folder, "gpt2_tiny"));
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();

        float[] logps = SequenceLogProbs.Of(tape, model, PreferenceBatch.Create(reference.Pairs()), null, 0, average).ToArray();

        AssertClose(key, logps, reference.Floats(key), 1e-5);
    }

    [Theory]
    [InlineData("sigmoid")]
    [InlineData("ipo")]
    public void LossAndEveryWeightGradientThroughTheModelMatchPyTorch(string setting)
    {
        using var reference = Expected.Load();
        var options = reference.Options(setting);
        bool ipo = options.LossType == DpoLossType.Ipo;
        using var model = GptModel.FromPretrained(Path.Combine(Folder, "gpt2_tiny"));
        using var tape = new Tape(model.Device);
        var pairs = reference.Pairs();
        float[] referenceRows = reference.Floats(ipo ? "model.reference_means" : "model.reference_sums");
        int n = pairs.Count;
        model.Parameters.ZeroGradients();

        var rows = SequenceLogProbs.Of(tape, model, PreferenceBatch.Create(pairs), null, 0, ipo);
        var (chosen, rejected) = SequenceLogProbs.Split(tape, rows, n);
        var loss = DpoLoss.Compute(tape, chosen, rejected, referenceRows.AsSpan(0, n), referenceRows.AsSpan(n, n), options);
        float value = loss.ToArray()[0];
        tape.Backward(loss);

        float expectedLoss = reference.Floats($"model.{setting}.loss")[0];
        output.WriteLine($"{setting}: loss ours {value:G9}, PyTorch {expectedLoss:G9}");
        Assert.True(Math.Abs(value - expectedLoss) <= 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"loss {value:G9} differs from PyTorch's {expectedLoss:G9}.");
        double worst = 0;
        foreach (var p in model.Parameters.Items)
        {
            float[] expected = Parity.InSdkLayout(p, reference.Floats($"model.{setting}.grad.{p.Name}"));
            var (maxAbs, scale) = Parity.Compare(p.Value.Grad!.ToArray(), expected);
            Assert.True(scale > 1e-3, $"{p.Name}: the reference gradient is ~0, so this check would prove nothing.");
            Assert.True(maxAbs <= 3e-5 * scale, $"{p.Name}: gradient differs from PyTorch by up to {maxAbs:E3} (largest |grad| {scale:E3}).");
            worst = Math.Max(worst, maxAbs / scale);
        }
        output.WriteLine($"worst gradient error relative to its tensor's largest |grad|: {worst:E2}");
    }

    private void AssertClose(string what, float[] actual, float[] expected, double relative)
    {
        var (maxAbs, scale) = Parity.Compare(actual, expected);
        output.WriteLine($"{what}: max abs error {maxAbs:E2}, largest {scale:E3}");
        Assert.True(scale > 1e-6, $"{what}: the reference is ~0, so this check would prove nothing.");
        Assert.True(maxAbs <= relative * scale, $"{what} differs from PyTorch by up to {maxAbs:E3} (largest {scale:E3}).");
    }

    /// <summary>dpo_expected.safetensors.</summary>
    private sealed class Expected : IDisposable
    {
        private readonly SafetensorsFile _file;

        private Expected(SafetensorsFile file) => _file = file;

        public static Expected Load() => new(SafetensorsFile.Open(Path.Combine(Folder, "dpo_expected.safetensors")));

        public DpoOptions Options(string setting) => new()
        {
            LossType = _file.Metadata[setting + ".kind"] == "ipo" ? DpoLossType.Ipo : DpoLossType.Sigmoid,
            Beta = float.Parse(_file.Metadata[setting + ".beta"], CultureInfo.InvariantCulture),
            LabelSmoothing = float.Parse(_file.Metadata[setting + ".label_smoothing"], CultureInfo.InvariantCulture),
        };

        public List<TokenizedPreference> Pairs() =>
        [
            .. Enumerable.Range(0, 3).Select(i => new TokenizedPreference(Ints($"model.prompt.{i}"), Ints($"model.chosen.{i}"), Ints($"model.rejected.{i}"), i)),
        ];

        public float[] Floats(string name)
        {
            var values = new float[_file[name].ElementCount];
            _file.ReadFloat32(name, values);
            return values;
        }

        public int[] Ints(string name)
        {
            var values = new int[_file[name].ElementCount];
            _file.ReadBytes(name, MemoryMarshal.AsBytes(values.AsSpan())); // I32, little-endian like this machine
            return values;
        }

        public void Dispose() => _file.Dispose();
    }
}
