using System.CommandLine;
using System.Text.Json;
using Gpt.Sdk.Embeddings;

namespace Gpt.Cli.Commands.Bench;

/// <summary><c>gpt bench retrieval</c>: the retrieval-quality benchmark (<see cref="RetrievalBench"/>) on its generated
/// world (<see cref="RetrievalWorld"/>); prints <c>{"retrieval":{...}}</c> JSON.</summary>
internal static class RetrievalBenchCommand
{
    public static Command Create()
    {
        var defaults = new RetrievalBench.Settings();
        var seed = new Option<ulong>("--seed") { Description = "Seed of the world, the weights and the data order.", DefaultValueFactory = _ => 1 };
        var corpusPeople = new Option<int?>("--corpus-people") { Description = $"People described in the pretraining text (default {defaults.World.CorpusPeople})." };
        var trainPeople = new Option<int?>("--train-people") { Description = $"People whose question-passage pairs train the head (default {defaults.World.TrainPeople})." };
        var heldOutPeople = new Option<int?>("--held-out-people") { Description = $"People whose questions are the test (default {defaults.World.HeldOutPeople})." };
        var pretrainSteps = new Option<int?>("--pretrain-steps") { Description = $"Pretraining steps of the base model (default {defaults.PretrainSteps})." };
        var steps = new Option<int?>("--steps") { Description = $"Contrastive training steps (default {defaults.ContrastiveSteps})." };
        var batch = new Option<int?>("--batch") { Description = $"Pairs per contrastive batch (default {defaults.ContrastiveBatchSize})." };
        var learningRate = new Option<float?>("--lr") { Description = $"Peak learning rate of contrastive training (default {defaults.ContrastiveLearningRate})." };
        var pooling = new Option<string>("--pooling") { Description = "Pooling of the trained head: mean or end (cpt-text's end token).", DefaultValueFactory = _ => "mean" };
        var loraRank = new Option<int>("--lora-rank") { Description = "Train a LoRA adapter of this rank (every linear layer) instead of every weight; 0 for every weight." };
        var width = new Option<int?>("--width") { Description = $"Embedding width of the base model (default {defaults.Width})." };
        var layers = new Option<int?>("--layers") { Description = $"Transformer blocks of the base model (default {defaults.Layers})." };
        var device = DeviceOption.Create();
        var command = new Command("retrieval",
            "Retrieval-quality benchmark on a generated world (questions paraphrase the passage that answers them with synonyms): " +
            "pretrains a small base GPT, trains a contrastive embedding head on train pairs, and reports recall@1 and recall@10 on questions " +
            "about held-out people for mean pooling of the base model, the trained head and BM25; prints {\"retrieval\":{...}} JSON.")
        {
            seed, corpusPeople, trainPeople, heldOutPeople, pretrainSteps, steps, batch, learningRate, pooling, loraRank, width, layers, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = defaults with
            {
                World = defaults.World with
                {
                    Seed = parse.GetValue(seed),
                    CorpusPeople = Positive(parse.GetValue(corpusPeople) ?? defaults.World.CorpusPeople, "--corpus-people"),
                    TrainPeople = Positive(parse.GetValue(trainPeople) ?? defaults.World.TrainPeople, "--train-people"),
                    HeldOutPeople = Positive(parse.GetValue(heldOutPeople) ?? defaults.World.HeldOutPeople, "--held-out-people"),
                },
                PretrainSteps = Positive(parse.GetValue(pretrainSteps) ?? defaults.PretrainSteps, "--pretrain-steps"),
                ContrastiveSteps = Positive(parse.GetValue(steps) ?? defaults.ContrastiveSteps, "--steps"),
                ContrastiveBatchSize = Positive(parse.GetValue(batch) ?? defaults.ContrastiveBatchSize, "--batch"),
                ContrastiveLearningRate = parse.GetValue(learningRate) ?? defaults.ContrastiveLearningRate,
                Pooling = parse.GetValue(pooling) switch
                {
                    "mean" => EmbeddingPooling.Mean,
                    "end" => EmbeddingPooling.EndToken,
                    var other => throw new ArgumentException($"--pooling must be mean or end, got '{other}'."),
                },
                LoraRank = parse.GetValue(loraRank) >= 0 ? parse.GetValue(loraRank) : throw new ArgumentException("--lora-rank must be 0 (every weight) or a positive rank."),
                Width = Positive(parse.GetValue(width) ?? defaults.Width, "--width"),
                Layers = Positive(parse.GetValue(layers) ?? defaults.Layers, "--layers"),
            };
            if (!(settings.ContrastiveLearningRate > 0) || !float.IsFinite(settings.ContrastiveLearningRate))
                throw new ArgumentException($"--lr must be a positive number, got {settings.ContrastiveLearningRate}.");
            if (settings.World.TrainPeople * settings.World.QuestionsPerTrainPerson < settings.ContrastiveBatchSize)
                throw new ArgumentException($"--batch {settings.ContrastiveBatchSize} is more pairs than the {settings.World.TrainPeople * settings.World.QuestionsPerTrainPerson} " +
                    "the train people give; lower --batch or raise --train-people.");
            var result = await RetrievalBench.RunAsync(DeviceOption.Open(parse, device), settings, Console.Error, cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["retrieval"] = result }));
            return 0;
        });
        return command;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, got {value}.");
}
