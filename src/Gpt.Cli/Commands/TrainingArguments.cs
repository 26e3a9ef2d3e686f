using System.CommandLine;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>The hyper-parameter options the fine-tuning commands share (<c>--batch</c>, <c>--steps</c>, <c>--lr</c>, ...),
/// with the defaults of the run they configure.</summary>
internal sealed class TrainingArguments
{
    public TrainingArguments(TrainingOptions defaults, string batchDescription)
    {
        Batch = new("--batch") { Description = batchDescription, DefaultValueFactory = _ => defaults.BatchSize };
        Context = new("--context")
        {
            Description = "Tokens per row, at most the model's context; longer examples are handled by --overlong " +
                $"(default {defaults.SequenceLength}, or the model's context when that is shorter).",
        };
        Steps = new("--steps") { Description = "Optimizer steps in total.", DefaultValueFactory = _ => defaults.MaxSteps };
        Accumulation = new("--accumulation") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => defaults.GradientAccumulationSteps };
        LearningRate = new("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        MinLearningRate = new("--min-lr") { Description = "Final learning rate of the cosine decay.", DefaultValueFactory = _ => defaults.MinLearningRate };
        Warmup = new("--warmup") { Description = "Warm-up steps.", DefaultValueFactory = _ => defaults.WarmupSteps };
        WeightDecay = new("--weight-decay") { Description = "AdamW weight decay on matrices.", DefaultValueFactory = _ => defaults.WeightDecay };
        Clip = new("--clip") { Description = "Global gradient-norm clip (0: off).", DefaultValueFactory = _ => defaults.GradientClip };
        EvalInterval = new("--eval-interval") { Description = "Steps between evaluations (0: only at the end).", DefaultValueFactory = _ => defaults.EvalInterval };
        EvalBatches = new("--eval-batches") { Description = "Batches per evaluation.", DefaultValueFactory = _ => defaults.EvalBatches };
        CheckpointInterval = new("--checkpoint-interval")
        {
            Description = "Steps between checkpoints (0: at the end and on Ctrl+C only).", DefaultValueFactory = _ => defaults.CheckpointInterval,
        };
        Seed = new("--seed") { Description = "Seed of data order, dropout, the held-out split and new weights.", DefaultValueFactory = _ => defaults.Seed };
    }

    public Option<int> Batch { get; }

    public Option<int?> Context { get; }

    public Option<int> Steps { get; }

    public Option<int> Accumulation { get; }

    public Option<float> LearningRate { get; }

    public Option<float> MinLearningRate { get; }

    public Option<int> Warmup { get; }

    public Option<float> WeightDecay { get; }

    public Option<float> Clip { get; }

    public Option<int> EvalInterval { get; }

    public Option<int> EvalBatches { get; }

    public Option<int> CheckpointInterval { get; }

    public Option<ulong> Seed { get; }

    public IEnumerable<Option> All =>
        [Batch, Context, Steps, Accumulation, LearningRate, MinLearningRate, Warmup, WeightDecay, Clip, EvalInterval, EvalBatches, CheckpointInterval, Seed];

    /// <summary><paramref name="options"/> with the parsed values; the row length defaults to the shorter of
    /// <paramref name="options"/>' and the model's context.</summary>
    public TrainingOptions Apply(ParseResult parse, TrainingOptions options, int modelContext) => options with
    {
        BatchSize = parse.GetValue(Batch), SequenceLength = parse.GetValue(Context) ?? Math.Min(options.SequenceLength, modelContext),
        MaxSteps = parse.GetValue(Steps), GradientAccumulationSteps = parse.GetValue(Accumulation), LearningRate = parse.GetValue(LearningRate),
        MinLearningRate = parse.GetValue(MinLearningRate), WarmupSteps = parse.GetValue(Warmup), WeightDecay = parse.GetValue(WeightDecay),
        GradientClip = parse.GetValue(Clip), EvalInterval = parse.GetValue(EvalInterval), EvalBatches = parse.GetValue(EvalBatches),
        CheckpointInterval = parse.GetValue(CheckpointInterval), Seed = parse.GetValue(Seed),
    };
}
