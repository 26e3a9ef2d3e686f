using System.Runtime.InteropServices;
using System.Text.Json;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Training;
using Xunit.Abstractions;

namespace Gpt.Sdk.Tests.Reference;

/// <summary>
/// The reward model's pairwise loss against an independent PyTorch reward model
/// (tests/reference/pytorch/reward_reference.py writes the data; its docstring is the contract): the tiny GPT-2 of
/// <see cref="PyTorchParityTests"/> with a linear score head read at the last real token of right-padded rows, five pairs
/// (a ranked list of three and two pairs) in one batch of 10 rows. Compared: the rows as the batch lays them out, the
/// scores, the loss, and its gradient with respect to the head and every trunk weight.
/// </summary>
/// <remarks>
/// The reference is float64 rounded to float32; PyTorch's own float32 run lands within 9e-8 of the largest score and
/// 7e-8 of the loss. The tolerance, 1e-5 of the largest value, is the one every parity test here uses: about ten times
/// float32's spread in another summation order, far below a real mistake (reading the wrong position, a padded token,
/// the rejected row as chosen, or a sum where the mean belongs moves these by 1e-2 or more). Two gradients are zero in
/// exact arithmetic, the head's bias and ln_f's bias, because they shift both scores of a pair alike: they are held to
/// 1e-5 of the largest trunk gradient (about 1.2) in absolute terms.
/// </remarks>
public class RewardParityTests(ITestOutputHelper output)
{
    private static readonly string ModelFolder = Path.Combine(AppContext.BaseDirectory, "Reference", "gpt2_tiny");
    private static readonly string ExpectedPath = Path.Combine(AppContext.BaseDirectory, "Reference", "reward_tiny_expected.safetensors");

    [Fact]
    public void PairwiseLossScoresAndEveryGradientMatchPyTorch()
    {
        using var file = SafetensorsFile.Open(ExpectedPath);
        using var model = GptModel.FromPretrained(ModelFolder);
        using var head = new ScalarHead(RewardModel.HeadName, model.Config.EmbeddingSize, model.Device);
        SegmentFiles.Read(file, head.Parameters, p => p.Name, "the reference head");
        var pairs = Pairs(file);

        // The rows are laid out as the reference lays them out: chosen rows first, right-padded, read at the last real token.
        var batch = PreferenceBatch.Create(pairs);
        Assert.Equal(Parity.Ints(file, "input_ids"), batch.Inputs);
        Assert.Equal(Parity.Ints(file, "last_positions"), batch.LastPositions);

        // One group holds every pair, so the objective's one batch is exactly those rows.
        var objective = new RewardModelObjective(head, new PreferenceDataset(pairs, model.Config.ContextLength), null, promptsPerBatch: 1, seed: 0);
        using var tape = new Tape(model.Device);
        tape.IsTraining = true;
        model.Parameters.ZeroGradients();
        head.Parameters.ZeroGradients();
        var loss = objective.TrainingLoss(tape, new TrainingContext(model, null, 0));
        tape.Backward(loss);

        float expectedLoss = Parity.Floats(file, "loss")[0];
        float actualLoss = loss.ToArray()[0];
        output.WriteLine($"loss {actualLoss:G9}, PyTorch {expectedLoss:G9}");
        Assert.True(Math.Abs(actualLoss - expectedLoss) <= 1e-5 * expectedLoss, $"loss {actualLoss:G9} differs from PyTorch's {expectedLoss:G9}.");

        float[] chosen = Parity.Floats(file, "chosen_scores"), rejected = Parity.Floats(file, "rejected_scores");
        var metrics = objective.TrainingMetrics;
        Assert.Equal(chosen.Zip(rejected).Count(p => p.First > p.Second) / (double)chosen.Length, metrics["accuracy"]);
        AssertClose("mean chosen score", [(float)metrics["chosen_reward"]], [chosen.Average()], chosen.Concat(rejected).Max(Math.Abs));
        AssertClose("mean rejected score", [(float)metrics["rejected_reward"]], [rejected.Average()], chosen.Concat(rejected).Max(Math.Abs));

        var expectedGradients = model.Parameters.Items.Concat(head.Parameters.Items).ToDictionary(p => p, p => Parity.Floats(file, "grad." + p.Name));
        double largest = expectedGradients.Values.Max(g => g.Max(Math.Abs));
        foreach (var (p, expected) in expectedGradients)
        {
            double scale = expected.Max(Math.Abs);
            bool cancels = p.Name is "score.bias" or "ln_f.bias";
            Assert.Equal(cancels, scale < 1e-6);
            AssertClose(p.Name, p.Value.Grad!.ToArray(), expected, cancels ? largest : scale);
        }
    }

    private void AssertClose(string what, float[] actual, float[] expected, double scale)
    {
        var (maxAbs, _) = Parity.Compare(actual, expected);
        output.WriteLine($"{what,-28} max abs error {maxAbs:E2}, scale {scale:E2}");
        Assert.True(maxAbs <= 1e-5 * scale, $"{what}: differs from PyTorch by up to {maxAbs:E3} (scale {scale:E3}).");
    }

    private static List<TokenizedPreference> Pairs(SafetensorsFile file) =>
        [.. JsonSerializer.Deserialize<int[][][]>(file.Metadata["pairs"])!.Select(p => new TokenizedPreference(p[0], p[1], p[2], group: 0))];
}
