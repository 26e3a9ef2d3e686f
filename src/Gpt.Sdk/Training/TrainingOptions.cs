namespace Gpt.Sdk.Training;

/// <summary>Hyper-parameters and bookkeeping of a pretraining run. Defaults suit a small model on a CPU.</summary>
public sealed record TrainingOptions
{
    /// <summary>Sequences per micro-batch (B).</summary>
    public int BatchSize { get; init; } = 12;

    /// <summary>Tokens per sequence (T); at most the model's context.</summary>
    public int SequenceLength { get; init; } = 64;

    /// <summary>Optimizer steps to run in total.</summary>
    public int MaxSteps { get; init; } = 2000;

    /// <summary>Micro-batches whose gradients are summed before each optimizer step.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Final learning rate of the cosine decay.</summary>
    public float MinLearningRate { get; init; } = 1e-4f;

    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>Decoupled weight decay on matrices.</summary>
    public float WeightDecay { get; init; } = 0.1f;

    /// <summary>AdamW β₁.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>AdamW β₂.</summary>
    public float Beta2 { get; init; } = 0.99f;

    /// <summary>AdamW ε.</summary>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    public float GradientClip { get; init; } = 1f;

    /// <summary>Evaluate on the validation set every this many steps (0: never).</summary>
    public int EvalInterval { get; init; } = 250;

    /// <summary>Batches averaged per evaluation.</summary>
    public int EvalBatches { get; init; } = 20;

    /// <summary>Save a checkpoint every this many steps (0: only at the end or on cancellation).</summary>
    public int CheckpointInterval { get; init; }

    /// <summary>Folder for checkpoints; none are written when null. A checkpoint is the run's state to resume, not a model
    /// folder: save the trained model with <c>GptModel.Save(folder, tokenizer)</c> (into this folder too, if you like, as
    /// <c>gpt train</c> does), or let <c>FineTune.SaveTo</c> save it.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Seed of data order and dropout.</summary>
    public ulong Seed { get; init; } = 1337;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <returns>These options.</returns>
    public TrainingOptions Validate()
    {
        static void Positive(double value, string name)
        {
            if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentException($"{name} must be a positive number, got {value}.");
        }

        static void NonNegative(double value, string name)
        {
            if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentException($"{name} must be zero or positive, got {value}.");
        }

        Positive(BatchSize, nameof(BatchSize));
        Positive(SequenceLength, nameof(SequenceLength));
        Positive(MaxSteps, nameof(MaxSteps));
        Positive(GradientAccumulationSteps, nameof(GradientAccumulationSteps));
        Positive(LearningRate, nameof(LearningRate));
        NonNegative(MinLearningRate, nameof(MinLearningRate));
        NonNegative(WarmupSteps, nameof(WarmupSteps));
        NonNegative(WeightDecay, nameof(WeightDecay));
        NonNegative(GradientClip, nameof(GradientClip));
        NonNegative(EvalInterval, nameof(EvalInterval));
        NonNegative(CheckpointInterval, nameof(CheckpointInterval));
        Positive(EvalBatches, nameof(EvalBatches));
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"Beta1 must be in [0, 1), got {Beta1}.");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentException($"Beta2 must be in [0, 1), got {Beta2}.");
        Positive(Epsilon, nameof(Epsilon));
        return this;
    }
}
