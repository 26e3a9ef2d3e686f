using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;

namespace Gpt.Sdk.Tests.Training.Reward;

/// <summary><see cref="RewardModel"/> scoring (laid out as in training, NaN for what does not fit), its folder, and what
/// it refuses: a folder without a head, a head of another base shape, a head of another width.</summary>
public sealed class RewardModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-reward-model-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static GptModel Model(int width = 16, int layers = 1, int vocabulary = 0, ulong seed = 1, int context = 16) => new(new GptConfig
    {
        VocabularySize = vocabulary > 0 ? vocabulary : Chars.VocabularySize, ContextLength = context, EmbeddingSize = width, LayerCount = layers, HeadCount = 2,
    }, seed: seed);

    // A scored pair is laid out as the objective trains it: prompt, response, end token (ChatBpe has <|endoftext|>), read
    // at the last token. The objective's mean chosen and rejected rewards over a one-pair batch are its two scores.
    [Fact]
    public void AScoreIsTheScoreTheObjectiveTrainsIncludingTheEndToken()
    {
        var tokenizer = ChatBpe;
        using var model = Model(vocabulary: tokenizer.VocabularySize, context: 64);
        using var rewardModel = RewardModel.Create(model, tokenizer, seed: 3);
        var example = PreferenceExample.Pair("What is two plus two?", " Four.", " Hello there");
        var data = PreferenceDataset.FromExamples([example], tokenizer, new PreferenceDataOptions { SequenceLength = 64 });
        Assert.Equal(tokenizer.SpecialTokens["<|endoftext|>"], data.Pairs[0].Chosen[^1]);
        var objective = new RewardModelObjective(rewardModel.Head, data, null, promptsPerBatch: 1, seed: 0);
        using var tape = new Tape(model.Device);
        using (tape.NoGrad()) objective.TrainingLoss(tape, new TrainingContext(model, null, 0));

        float[] scores = rewardModel.Score([example.Prompt, example.Prompt], example.Responses.ToArray());
        Assert.Equal(objective.TrainingMetrics["chosen_reward"], scores[0], 5);
        Assert.Equal(objective.TrainingMetrics["rejected_reward"], scores[1], 5);
        Assert.NotEqual(scores[0], scores[1]);
    }

    [Fact]
    public void APairLongerThanTheContextScoresNaNAndTheOthersAreScored()
    {
        using var model = Model();
        using var rewardModel = RewardModel.Create(model, Chars);
        float[] scores = rewardModel.Score(["ab:", "ab:", "", "cd:"], [" x", new string('y', 14), "", " abc"]);
        Assert.True(float.IsFinite(scores[0]) && float.IsFinite(scores[3]));
        Assert.True(float.IsNaN(scores[1]));                  // 17 characters in a context of 16
        Assert.True(float.IsNaN(scores[2]));                  // no token at all
        // Alone in its pass, the same row is summed in another blocking of the matrix products: equal to float rounding.
        Assert.Equal(scores[0], rewardModel.Score("ab:", " x"), 1e-6f);
        Assert.Throws<ArgumentException>(() => rewardModel.Score(["a", "b"], ["c"]));
    }

    [Fact]
    public void AFolderWithoutAHeadIsNotARewardModel()
    {
        string folder = Path.Combine(_folder, "lm");
        using (var model = Model()) model.Save(folder, Chars);
        var error = Assert.Throws<FileNotFoundException>(() => RewardModel.Load(folder));
        Assert.Contains("no score_head.safetensors in", error.Message);
        Assert.Contains("not a reward model", error.Message);
    }

    [Fact]
    public void AHeadBesideATrunkOfAnotherShapeIsRefusedNamingBothShapes()
    {
        string rewardFolder = Path.Combine(_folder, "rm"), otherFolder = Path.Combine(_folder, "other");
        using (var model = Model(width: 16, layers: 1))
        using (var rewardModel = RewardModel.Create(model, Chars))
            rewardModel.Save(rewardFolder);
        using (var other = Model(width: 16, layers: 2)) other.Save(otherFolder, Chars);
        File.Copy(Path.Combine(rewardFolder, "score_head.safetensors"), Path.Combine(otherFolder, "score_head.safetensors"));

        var error = Assert.Throws<ModelFileException>(() => RewardModel.Load(otherFolder));
        Assert.Contains("trained on a base of 1 layers, 2 heads, width 16", error.Message);
        Assert.Contains("the folder's model is 2 layers, 2 heads, width 16", error.Message);

        using var trunk = Model(width: 32);
        using var head = new ScalarHead(RewardModel.HeadName, 16, trunk.Device);
        var width = Assert.Throws<ArgumentException>(() => new RewardModel(trunk, head, Chars));
        Assert.Contains("width 16", width.Message);
        Assert.Contains("width 32", width.Message);
    }

    // d loss / d head by finite differences, through the objective's whole pass (the parity test checks the trunk too).
    [Fact]
    public void ThePairwiseLossGradientOfTheHeadMatchesFiniteDifferences()
    {
        using var model = Model(seed: 4);
        using var head = new ScalarHead(RewardModel.HeadName, 16, model.Device, seed: 2, std: 0.5f);
        var data = PreferenceDataset.FromExamples(RewardTestData.Examples(4, seed: 9), Chars, new PreferenceDataOptions { SequenceLength = 16 });
        var objective = new RewardModelObjective(head, data, null, promptsPerBatch: 4, seed: 0);
        using var tape = new Tape(model.Device);
        head.Parameters.ZeroGradients();
        var loss = objective.TrainingLoss(tape, new TrainingContext(model, null, 0));
        tape.Backward(loss);
        var analytic = new float[head.Parameters.Count];
        head.Parameters.Device.Download(head.Parameters.AllGradients, analytic);
        var values = new float[head.Parameters.Count];
        head.Parameters.CopyValuesTo(values);

        double Loss()
        {
            objective.DataPosition = 0;                        // the same batch every time
            tape.Reset();
            using var _ = tape.NoGrad();
            return objective.TrainingLoss(tape, new TrainingContext(model, null, 0)).ToArray()[0];
        }

        FiniteDifferences.Check(values, v => head.Parameters.CopyValuesFrom(v), Loss, analytic, "score head");
        Assert.Equal(0f, analytic[^1], 6);                    // the bias shifts both scores of a pair alike
    }
}
