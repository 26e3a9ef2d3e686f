namespace Gpt.Sdk.Training;

/// <summary>
/// Hyper-parameters of a PPO run (<see cref="PpoTrainer"/>). The defaults are those of TRL's PPO trainer (<c>PPOConfig</c>,
/// the version with the adaptive KL controller): 4 PPO epochs per batch, clip ε 0.2, value clip 0.2, value-loss coefficient
/// 0.1, γ 1, λ 0.95, initial KL coefficient 0.2 adapted towards a KL of 6 nats over a horizon of 10,000 samples, learning
/// rate 1.41e-5 held constant, whitened advantages. The batch shape (prompts per iteration, minibatch, response length)
/// is smaller than TRL's 128/128/… because it is sized for a CPU.
/// </summary>
public sealed record PpoOptions
{
    /// <summary>PPO iterations (rollout + update rounds) to run.</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>Prompts drawn per iteration (TRL's <c>batch_size</c>): each gets one sampled response.</summary>
    public int PromptsPerIteration { get; init; } = 16;

    /// <summary>Samples per minibatch update (TRL's <c>mini_batch_size</c>); at most <see cref="PromptsPerIteration"/>.</summary>
    public int MinibatchSize { get; init; } = 4;

    /// <summary>Passes over each iteration's samples (TRL's <c>ppo_epochs</c>).</summary>
    public int EpochsPerIteration { get; init; } = 4;

    /// <summary>The most tokens generated per response; the prompt must leave room for them in the model's context.</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>Sampling temperature of the rollouts (&gt; 0); log-probabilities are taken at the same temperature, as TRL does.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Clip range ε of the policy ratio (TRL's <c>cliprange</c>).</summary>
    public float ClipRange { get; init; } = 0.2f;

    /// <summary>Clip range of the value prediction around the rollout's value (TRL's <c>cliprange_value</c>).</summary>
    public float ValueClipRange { get; init; } = 0.2f;

    /// <summary>Weight of the value loss (TRL's <c>vf_coef</c>).</summary>
    public float ValueLossCoefficient { get; init; } = 0.1f;

    /// <summary>Discount γ of GAE.</summary>
    public float Gamma { get; init; } = 1f;

    /// <summary>λ of GAE.</summary>
    public float Lambda { get; init; } = 0.95f;

    /// <summary>The KL coefficient β at the start (TRL's <c>init_kl_coef</c>); fixed when <see cref="TargetKl"/> is null.</summary>
    public float KlCoefficient { get; init; } = 0.2f;

    /// <summary>The KL (nats per response, summed over its tokens) the adaptive controller steers β towards (Ziegler et al.
    /// 2019); null keeps β fixed.</summary>
    public float? TargetKl { get; init; } = 6f;

    /// <summary>The adaptive controller's horizon in samples: β changes by at most ±20 %·samples/horizon per iteration.</summary>
    public int KlHorizon { get; init; } = 10_000;

    /// <summary>γ_ptx, the weight of the language-modelling loss on pretraining batches added to every minibatch update
    /// (InstructGPT's PPO-ptx); 0 turns it off. Needs pretraining data.</summary>
    public float PtxCoefficient { get; init; }

    /// <summary>Rows of each pretraining batch of the ptx term.</summary>
    public int PtxBatchSize { get; init; } = 4;

    /// <summary>Tokens per row of each pretraining batch of the ptx term; at most the model's context.</summary>
    public int PtxSequenceLength { get; init; } = 64;

    /// <summary>Peak learning rate of AdamW.</summary>
    public float LearningRate { get; init; } = 1.41e-5f;

    /// <summary>Final learning rate of the cosine decay over all optimizer steps; null (default) holds the rate constant, as TRL.</summary>
    public float? MinLearningRate { get; init; }

    /// <summary>Optimizer steps of linear warm-up.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Decoupled weight decay on matrices.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Global gradient-norm clip; 0 disables it (TRL's default <c>max_grad_norm</c> is none; 1 is a safer start).</summary>
    public float GradientClip { get; init; } = 1f;

    /// <summary>Normalise advantages to zero mean and unit variance over each iteration's response tokens.</summary>
    public bool WhitenAdvantages { get; init; } = true;

    /// <summary>Seed of prompt order, sampling, minibatch order and the value head's initial weights.</summary>
    public ulong Seed { get; init; } = 1337;

    /// <summary>Save a checkpoint every this many iterations (0: only at the end and on cancellation).</summary>
    public int CheckpointInterval { get; init; }

    /// <summary>The run's folder: checkpoint, <see cref="MetricsLog.FileName"/> and the saved result; nothing is written when null.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option, its value and the valid range.</summary>
    /// <returns>These options.</returns>
    public PpoOptions Validate()
    {
        static void Positive(double value, string name)
        {
            if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentException($"{name} must be a positive number, got {value}.", name);
        }

        static void NonNegative(double value, string name)
        {
            if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentException($"{name} must be zero or positive, got {value}.", name);
        }

        static void Unit(double value, string name)
        {
            if (!(value >= 0 && value <= 1)) throw new ArgumentException($"{name} must be in [0, 1], got {value}.", name);
        }

        Positive(Iterations, nameof(Iterations));
        Positive(PromptsPerIteration, nameof(PromptsPerIteration));
        Positive(MinibatchSize, nameof(MinibatchSize));
        if (MinibatchSize > PromptsPerIteration)
            throw new ArgumentException($"MinibatchSize ({MinibatchSize}) must not exceed PromptsPerIteration ({PromptsPerIteration}).", nameof(MinibatchSize));
        Positive(EpochsPerIteration, nameof(EpochsPerIteration));
        Positive(MaxNewTokens, nameof(MaxNewTokens));
        Positive(Temperature, nameof(Temperature));
        Positive(ClipRange, nameof(ClipRange));
        Positive(ValueClipRange, nameof(ValueClipRange));
        NonNegative(ValueLossCoefficient, nameof(ValueLossCoefficient));
        Unit(Gamma, nameof(Gamma));
        Unit(Lambda, nameof(Lambda));
        NonNegative(KlCoefficient, nameof(KlCoefficient));
        if (TargetKl is { } target) Positive(target, nameof(TargetKl));
        Positive(KlHorizon, nameof(KlHorizon));
        NonNegative(PtxCoefficient, nameof(PtxCoefficient));
        Positive(PtxBatchSize, nameof(PtxBatchSize));
        Positive(PtxSequenceLength, nameof(PtxSequenceLength));
        Positive(LearningRate, nameof(LearningRate));
        if (MinLearningRate is { } min) NonNegative(min, nameof(MinLearningRate));
        NonNegative(WarmupSteps, nameof(WarmupSteps));
        NonNegative(WeightDecay, nameof(WeightDecay));
        NonNegative(GradientClip, nameof(GradientClip));
        NonNegative(CheckpointInterval, nameof(CheckpointInterval));
        return this;
    }

    /// <summary>Optimizer steps per iteration: epochs × minibatches (the last minibatch may be smaller).</summary>
    internal int StepsPerIteration => EpochsPerIteration * ((PromptsPerIteration + MinibatchSize - 1) / MinibatchSize);
}
