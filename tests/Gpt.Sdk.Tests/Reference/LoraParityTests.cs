using System.Globalization;
using System.Runtime.InteropServices;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Xunit.Abstractions;

namespace Gpt.Sdk.Tests.Reference;

/// <summary>
/// LoRA against an independent PyTorch implementation of PEFT's semantics
/// (tests/reference/pytorch/lora_reference.py writes the data; its docstring is the contract). The base is
/// the tiny GPT-2 of <see cref="PyTorchParityTests"/> (2 layers, 32 wide, vocab 61); the adapter, read from
/// PEFT's folder layout, has rank 4 and alpha 8 on c_attn, attn.c_proj, c_fc and mlp.c_proj of both blocks,
/// with B drawn non-zero so it moves the logits (by up to 0.25) and every A and B has a gradient worth
/// comparing. One batch of B=2, T=8: logits with and without the adapter, the loss, every lora_A and lora_B
/// gradient with the base frozen, and merging.
/// </summary>
/// <remarks>
/// As for <see cref="PyTorchParityTests"/>, the reference is float64 rounded to float32, and PyTorch's own
/// float32 run lands within 1.8e-6 of it on the logits (largest 4.1), 7e-8 on the loss and 1e-6 of a tensor's
/// largest gradient on the gradients. The tolerances are the same as there, about ten times that spread, for
/// the same reason: above float32 rounding in another summation order, far below a real mistake (a scaling of
/// alpha/√r instead of alpha/r, a transposed A or B, or the adapter on the wrong layer moves these numbers by
/// 1e-2 or more).
/// </remarks>
public class LoraParityTests(ITestOutputHelper output)
{
    private const string AdapterName = "ref";
    private static readonly string BaseFolder = Path.Combine(AppContext.BaseDirectory, "Reference", "lora_tiny");
    private static readonly string AdapterFolder = Path.Combine(BaseFolder, "adapter");

    [Fact]
    public void AdapterIsReadAsPeftWroteIt()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(BaseFolder);
        var adapter = PeftAdapterFiles.Load(model, AdapterFolder, AdapterName);

        Assert.Same(adapter, model.GetAdapter(AdapterName));
        Assert.Equal((int)reference.Setting("r"), adapter.Config.Rank);
        Assert.Equal(reference.Setting("scaling"), adapter.Config.Scaling);
        Assert.All(adapter.Layers, layer => Assert.Equal(reference.Setting("scaling"), layer.Scaling));
        // Every linear layer of both blocks, and nothing else (lm_head is the tied embedding, not targeted).
        Assert.Equal(model.Linears.Select(l => l.Name), adapter.Layers.Select(l => l.Target.Name));
        Assert.Equal(reference.GradientCount, adapter.Parameters.Items.Count);
    }

    [Fact]
    public void AdapterLogitsMatchPyTorch()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(BaseFolder);
        var adapter = PeftAdapterFiles.Load(model, AdapterFolder, AdapterName);

        float[] logits = Logits(model, reference, adapter);

        AssertClose("adapter logits", logits, reference.Logits);
    }

    [Fact]
    public void BaseLogitsWithTheAdapterLoadedButNotNamedMatchPyTorch()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(BaseFolder);
        PeftAdapterFiles.Load(model, AdapterFolder, AdapterName);

        float[] logits = Logits(model, reference, adapter: null);

        AssertClose("base logits", logits, reference.BaseLogits);
    }

    [Fact]
    public void LossMatchesPyTorch()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(BaseFolder);
        var adapter = PeftAdapterFiles.Load(model, AdapterFolder, AdapterName);
        using var tape = new Tape(model.Device);

        float loss = model.Loss(tape, reference.Ids, reference.Targets, reference.Batch, reference.SeqLen, new ForwardOptions { Adapter = adapter }).ToArray()[0];

        double error = Math.Abs(loss - reference.Loss);
        output.WriteLine($"loss: ours {loss:G9}, PyTorch {reference.Loss:G9}, abs error {error:E2}");
        Assert.True(error <= 1e-5 * reference.Loss, $"loss {loss:G9} differs from PyTorch's {reference.Loss:G9} by {error:E3}.");
    }

    [Fact]
    public void EveryLoraGradientMatchesPyTorchWithTheBaseFrozen()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(BaseFolder);
        var adapter = PeftAdapterFiles.Load(model, AdapterFolder, AdapterName, trainable: true);
        using var tape = new Tape(model.Device);

        // Loading an adapter to train it freezes the base, as PEFT's is_trainable does: no gradient buffer for it.
        Assert.False(model.Parameters.Trainable);
        Assert.Throws<InvalidOperationException>(() => model.Parameters.Gradients);
        Assert.All(model.Parameters.Items, p => Assert.Null(p.Value.Grad));
        Assert.True(adapter.Parameters.Trainable);

        adapter.Parameters.ZeroGradients();
        tape.Backward(model.Loss(tape, reference.Ids, reference.Targets, reference.Batch, reference.SeqLen, new ForwardOptions { Adapter = adapter }));

        Assert.Equal(reference.GradientCount, adapter.Parameters.Items.Count);
        double worst = 0;
        foreach (var p in adapter.Parameters.Items)
        {
            // A (r, in) and B (out, r) are stored as they are held: PEFT never transposes them.
            float[] expected = reference.Floats("grad." + "base_model.model.transformer." + p.Name);
            var (maxAbs, scale) = Parity.Compare(p.Value.Grad!.ToArray(), expected);
            output.WriteLine($"{p.Name,-30} max abs error {maxAbs:E2}, largest |grad| {scale:E2}, relative to it {maxAbs / scale:E2}");
            Assert.True(scale > 1e-4, $"{p.Name}: the reference gradient is ~0, so this check would prove nothing.");
            Assert.True(maxAbs <= 1e-5 * scale, $"{p.Name}: gradient differs from PyTorch by up to {maxAbs:E3} (largest |grad| {scale:E3}).");
            worst = Math.Max(worst, maxAbs / scale);
        }

        output.WriteLine($"worst gradient error relative to its tensor's largest |grad|: {worst:E2}");
        Assert.False(model.Parameters.Trainable);
    }

    [Fact]
    public void MergedLogitsMatchPyTorchAndTheUnmergedAdapter()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(BaseFolder);
        var adapter = PeftAdapterFiles.Load(model, AdapterFolder, AdapterName);
        float[] unmerged = Logits(model, reference, adapter);

        adapter.Merge();
        float[] merged = Logits(model, reference, adapter);

        Assert.True(adapter.IsMerged);
        Assert.Same(adapter, model.MergedAdapter);
        AssertClose("merged logits", merged, reference.MergedLogits);
        // Merging only changes where s·B·A is added (into W rather than to W·x), a float32 rounding apart.
        // PyTorch's float32 run puts the two 2e-6 apart; 1e-5 is the bound its reference script checks.
        var (maxAbs, _) = Parity.Compare(merged, unmerged);
        output.WriteLine($"merged vs unmerged adapter logits: max abs difference {maxAbs:E2}");
        Assert.True(maxAbs <= 1e-5, $"merged logits differ from the unmerged adapter's by {maxAbs:E3}.");
        // While merged, the base model is not there to run.
        Assert.Throws<InvalidOperationException>(() => Logits(model, reference, adapter: null));
    }

    [Fact]
    public void UnmergeRestoresTheBaseWeightsAndLogits()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(BaseFolder);
        var adapter = PeftAdapterFiles.Load(model, AdapterFolder, AdapterName);
        var weightsBefore = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(weightsBefore);
        float[] before = Logits(model, reference, adapter: null);

        adapter.Merge();
        adapter.Unmerge();

        Assert.False(adapter.IsMerged);
        Assert.Null(model.MergedAdapter);
        var weightsAfter = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(weightsAfter);
        var (weightError, _) = Parity.Compare(weightsAfter, weightsBefore);
        var (logitError, scale) = Parity.Compare(Logits(model, reference, adapter: null), before);
        output.WriteLine($"after merge + unmerge: max abs weight change {weightError:E2}, max abs logit change {logitError:E2}");
        // W + d − d in float32 is W up to the rounding of the two sums: at most one unit in the last place of
        // W + d per weight (|W + d| < 1 here, so at most 6e-8; twice that is the bound). Through LayerNorms and
        // the 128-wide MLP that moves the logits by 1.9e-6 (four units in the last place of the largest, 4.1),
        // so they get the parity tolerance, 1e-5 of the largest logit. A merge not undone moves them by up to
        // 0.25 (what the adapter does), a sign slip by twice that: neither passes.
        Assert.True(weightError <= 1.2e-7, $"unmerge left weights off by up to {weightError:E3}.");
        Assert.True(logitError <= 1e-5 * scale, $"unmerge left the base logits off by up to {logitError:E3} (largest |logit| {scale:F4}).");
        AssertClose("base logits after unmerge", Logits(model, reference, adapter: null), reference.BaseLogits);
        Assert.Equal(Logits(model, reference, adapter), Logits(model, reference, adapter)); // the adapter runs again
    }

    [Fact]
    public void SavedMergedModelReloadsWithTheAdapterLogits()
    {
        using var reference = Expected.Load();
        using var model = GptModel.FromPretrained(BaseFolder);
        var adapter = PeftAdapterFiles.Load(model, AdapterFolder, AdapterName);
        float[] adapterLogits = Logits(model, reference, adapter);
        string folder = Directory.CreateTempSubdirectory("gpt-lora-merged-").FullName;
        try
        {
            adapter.Merge();
            model.Save(folder);
            using var merged = GptModel.FromPretrained(folder);

            float[] logits = Logits(merged, reference, adapter: null);

            Assert.Empty(merged.Adapters);
            var (maxAbs, _) = Parity.Compare(logits, adapterLogits);
            output.WriteLine($"saved merged model vs adapter logits: max abs difference {maxAbs:E2}");
            Assert.True(maxAbs <= 1e-5, $"the saved merged model's logits differ from the adapter's by {maxAbs:E3}.");
            AssertClose("saved merged model logits", logits, reference.Logits);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static float[] Logits(GptModel model, Expected reference, LoraAdapter? adapter)
    {
        using var tape = new Tape(model.Device);
        using var _ = tape.NoGrad();
        return model.Forward(tape, reference.Ids, reference.Batch, reference.SeqLen, new ForwardOptions { Adapter = adapter }).ToArray();
    }

    private void AssertClose(string what, float[] actual, float[] expected)
    {
        var (maxAbs, scale) = Parity.Compare(actual, expected);
        output.WriteLine($"{what}: max abs error {maxAbs:E2}, largest |logit| {scale:F4}, relative to it {maxAbs / scale:E2}");
        Assert.True(maxAbs <= 1e-5 * scale, $"{what} differ from PyTorch by up to {maxAbs:E3} (largest |logit| {scale:F4}).");
    }

    /// <summary>lora_tiny_expected.safetensors: the batch and PyTorch's results.</summary>
    private sealed class Expected : IDisposable
    {
        private readonly SafetensorsFile _file;

        private Expected(SafetensorsFile file)
        {
            _file = file;
            var shape = file["input_ids"].Shape;
            Batch = (int)shape[0];
            SeqLen = (int)shape[1];
            Ids = Ints("input_ids");
            Targets = Ints("targets");
            Logits = Floats("logits");
            BaseLogits = Floats("base_logits");
            MergedLogits = Floats("merged_logits");
            Loss = Floats("loss")[0];
            GradientCount = file.Tensors.Count(t => t.Name.StartsWith("grad.", StringComparison.Ordinal));
        }

        public int Batch { get; }

        public int SeqLen { get; }

        public int[] Ids { get; }

        public int[] Targets { get; }

        public float[] Logits { get; }

        public float[] BaseLogits { get; }

        public float[] MergedLogits { get; }

        public float Loss { get; }

        public int GradientCount { get; }

        public static Expected Load() =>
            new(SafetensorsFile.Open(Path.Combine(AppContext.BaseDirectory, "Reference", "lora_tiny_expected.safetensors")));

        public float Setting(string key) => float.Parse(_file.Metadata[key], CultureInfo.InvariantCulture);

        public float[] Floats(string name)
        {
            var values = new float[_file[name].ElementCount];
            _file.ReadFloat32(name, values);
            return values;
        }

        public void Dispose() => _file.Dispose();

        private int[] Ints(string name)
        {
            var values = new int[_file[name].ElementCount];
            _file.ReadBytes(name, MemoryMarshal.AsBytes(values.AsSpan())); // I32, little-endian like this machine
            return values;
        }
    }
}
