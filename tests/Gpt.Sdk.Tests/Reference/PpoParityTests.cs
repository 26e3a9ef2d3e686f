using System.Text.Json;
using Gpt.Kernels.Devices;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Reference;

/// <summary>
/// PPO's arithmetic against an independent PyTorch computation (tests/reference/pytorch/ppo_reference.py, TRL's
/// formulas) on fixed inputs: 3 responses of 5, 2 and 4 tokens padded to 5 with a mask. Per-token rewards with the KL
/// penalty, GAE advantages and returns, whitened advantages, the clipped policy loss and its gradient with respect to
/// the new log-probabilities, the clipped value loss and its gradient with respect to the values.
/// </summary>
/// <remarks>
/// The reference is float64; ours runs in float32 (inputs rounded to float, sums of at most 11 terms), whose rounding is
/// about 1e-7 relative per operation: 1e-5 absolute on values of order 1 leaves a hundredfold margin, and a real mistake
/// (a wrong bootstrap, a missing mask, a clip on the wrong side) moves results by tenths.
/// </remarks>
public class PpoParityTests
{
    private const double Tolerance = 1e-5;
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "ppo_expected.json"))).RootElement;

    private static float[] Floats(string name) => [.. Expected.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble())];

    private static double Number(string name) => Expected.GetProperty(name).GetDouble();

    private static void Close(string what, IReadOnlyList<float> expected, IReadOnlyList<float> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"{what}[{i}]: ours {actual[i]:G9}, PyTorch {expected[i]:G9}");
    }

    [Fact]
    public void PerTokenRewardsAndKlMatchPyTorch()
    {
        int rows = 3, length = Expected.GetProperty("T").GetInt32();
        var rewards = new float[rows * length];
        double[] kl = KlPenalty.Rewards(Floats("logp"), Floats("ref_logp"), Floats("mask"), Floats("scores"), rows, length, Number("beta"), rewards);
        Close("rewards", Floats("rewards"), rewards);
        Close("kl", Floats("kl"), [.. kl.Select(k => (float)k)]);
    }

    [Fact]
    public void GaeAdvantagesReturnsAndWhiteningMatchPyTorch()
    {
        int rows = 3, length = Expected.GetProperty("T").GetInt32(), n = rows * length;
        float[] advantages = new float[n], returns = new float[n];
        Gae.Compute(Floats("rewards"), Floats("values"), Floats("mask"), rows, length, Number("gamma"), Number("lambda"), advantages, returns);
        Close("advantages", Floats("advantages"), advantages);
        Close("returns", Floats("returns"), returns);
        Gae.Whiten(advantages, Floats("mask"));
        Close("whitened advantages", Floats("whitened"), advantages);
    }

    [Fact]
    public void ClippedPolicyLossAndItsGradientMatchPyTorch()
    {
        using var tape = new Tape(Device.Cpu);
        using var logProbs = Tensor.FromArray(Device.Cpu, Floats("new_logp"), new Shape(Floats("new_logp").Length));
        logProbs.RequiresGrad = true;
        var loss = PpoLoss.Policy(tape, logProbs, Floats("old_logp"), Floats("token_advantages"), (float)Number("clip"));
        Close("policy loss", [(float)Number("policy_loss")], loss.ToArray());
        tape.Backward(loss);
        Close("policy gradient", Floats("policy_grad"), logProbs.Grad!.ToArray());
        Assert.Contains(Floats("policy_grad"), g => g == 0);           // some tokens are clipped: the branch is exercised
        Assert.Contains(Floats("policy_grad"), g => g != 0);
    }

    [Fact]
    public void ClippedValueLossAndItsGradientMatchPyTorch()
    {
        using var tape = new Tape(Device.Cpu);
        using var values = Tensor.FromArray(Device.Cpu, Floats("new_values"), new Shape(Floats("new_values").Length));
        values.RequiresGrad = true;
        var loss = PpoLoss.Value(tape, values, Floats("old_values"), Floats("token_returns"), (float)Number("value_clip"));
        Close("value loss", [(float)Number("value_loss")], loss.ToArray());
        tape.Backward(loss);
        Close("value gradient", Floats("value_grad"), values.Grad!.ToArray());
    }
}
