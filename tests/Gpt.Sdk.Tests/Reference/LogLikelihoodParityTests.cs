using System.Text.Json;
using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Nn;
using Xunit.Abstractions;

namespace Gpt.Sdk.Tests.Reference;

/// <summary>
/// Multiple-choice scores against an independent PyTorch computation (tests/reference/pytorch/choice_reference.py):
/// on the gpt2_tiny model (vocab 61, context 16), the summed log-probabilities of 8 fixed (context, continuation)
/// pairs of 1 to 30 context and 1 to 10 continuation tokens, two of which overflow the context and so are read
/// through lm-evaluation-harness's left truncation.
/// </summary>
/// <remarks>
/// The reference sums are float64 from the float32 weights. PyTorch's own float32 run lands at most 2.3e-7 of the sum
/// from them (1.9e-6 absolute on sums of −3 to −46). The tolerance, 1e-5 of the sum, is the one
/// <see cref="PyTorchParityTests"/> sets on the loss (about ten times float32's spread there, forty here); a real
/// mistake (an off-by-one target, a wrong truncation side, a padded position counted) moves a sum by whole nats.
/// </remarks>
public class LogLikelihoodParityTests(ITestOutputHelper output)
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Reference");

    [Fact]
    public void SummedLogProbabilitiesMatchPyTorchOneByOneAndBatched()
    {
        var pairs = LoadPairs();
        using var model = GptModel.FromPretrained(Path.Combine(Folder, "gpt2_tiny"));
        using var single = new LogLikelihood(model, batchSize: 1);
        using var batched = new LogLikelihood(model, batchSize: pairs.Length);

        double[] alone = single.Score(pairs.Select(p => p.Request).ToArray());
        double[] together = batched.Score(pairs.Select(p => p.Request).ToArray());

        for (int i = 0; i < pairs.Length; i++)
        {
            var (request, expected) = pairs[i];
            foreach (double actual in new[] { alone[i], together[i] })
            {
                double error = Math.Abs(actual - expected);
                output.WriteLine($"context {request.Context.Length,2}, continuation {request.Continuation.Length,2}: ours {actual:F7}, PyTorch {expected:F7}, relative error {error / Math.Abs(expected):E2}");
                Assert.True(error <= 1e-5 * Math.Abs(expected), $"pair {i}: log-likelihood {actual:G9} differs from PyTorch's {expected:G9} by {error:E3}.");
            }
        }
    }

    private static (LogLikelihoodRequest Request, double Expected)[] LoadPairs()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "choice_tiny_expected.json")));
        return json.RootElement.GetProperty("pairs").EnumerateArray()
            .Select(p => (new LogLikelihoodRequest(Ids(p.GetProperty("context")), Ids(p.GetProperty("continuation"))), p.GetProperty("logprob").GetDouble()))
            .ToArray();

        static int[] Ids(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }
}
