using System.Diagnostics;
using Gpt.Kernels.Random;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// Pretrains a <see cref="GptModel"/> on next-token prediction: seeded batches, AdamW, warm-up +
/// cosine schedule, gradient accumulation, global-norm clipping, a guard that skips steps whose loss
/// or gradient is not finite, periodic evaluation and checkpoints. For given seeds and thread count a
/// run is bit-reproducible, and a run resumed from a checkpoint continues bit-identically.
/// </summary>
public sealed class Trainer : IDisposable
{
    private const ulong DropoutStream = 0xD50;
    private const ulong EvalStream = 0xE7A1;

    private readonly TokenDataset _train;
    private readonly TokenDataset? _validation;
    private readonly BatchSampler _sampler;
    private readonly Tape _tape;
    private readonly LearningRateSchedule _schedule;
    private readonly int[] _inputs, _targets;

    /// <summary>Prepares a run; nothing is computed until <see cref="TrainStep"/> or <see cref="RunAsync"/>.</summary>
    /// <param name="model">The model to train (updated in place).</param>
    /// <param name="trainData">Training tokens.</param>
    /// <param name="validationData">Held-out tokens for evaluation, or null.</param>
    /// <param name="options">Hyper-parameters; validated.</param>
    public Trainer(GptModel model, TokenDataset trainData, TokenDataset? validationData, TrainingOptions options)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _train = trainData ?? throw new ArgumentNullException(nameof(trainData));
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (options.SequenceLength > model.Config.ContextLength)
            throw new ArgumentException($"sequence length {options.SequenceLength} exceeds the model's context of {model.Config.ContextLength}.", nameof(options));
        _validation = validationData;
        if (validationData is not null && validationData.Length < options.SequenceLength + 1)
            throw new ArgumentException($"the validation set has {validationData.Length} tokens; it needs at least {options.SequenceLength + 1}.", nameof(validationData));
        _sampler = new BatchSampler(trainData, options.BatchSize, options.SequenceLength, options.Seed);
        Optimizer = new AdamW(model.Parameters, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        _tape = new Tape(model.Device);
        _schedule = new LearningRateSchedule(options.LearningRate, options.MinLearningRate, options.WarmupSteps, options.MaxSteps);
        _inputs = new int[options.BatchSize * options.SequenceLength];
        _targets = new int[_inputs.Length];
    }

    /// <summary>The model being trained.</summary>
    public GptModel Model { get; }

    /// <summary>The run's hyper-parameters.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The optimizer (its moments are part of checkpoints).</summary>
    public AdamW Optimizer { get; }

    /// <summary>Optimizer steps completed.</summary>
    public int Step { get; private set; }

    /// <summary>Steps skipped because their loss or gradient was not finite.</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>Bytes of activation and gradient memory held between steps.</summary>
    public long ActivationBytes => _tape.BytesHeld;

    /// <summary>Runs one optimizer step (all accumulation micro-batches) and reports it.</summary>
    public TrainingProgress TrainStep()
    {
        long started = Stopwatch.GetTimestamp();
        var parameters = Model.Parameters;
        parameters.ZeroGradients();
        int accumulation = Options.GradientAccumulationSteps;
        ulong dropoutSeed = CounterRng.Hash(Options.Seed ^ DropoutStream, (ulong)Step);
        double lossSum = 0;
        Span<float> scalar = stackalloc float[1];
        _tape.IsTraining = true;
        for (int micro = 0; micro < accumulation; micro++)
        {
            _tape.Reset();
            _sampler.Next(_inputs, _targets);
            var loss = Model.Loss(_tape, _inputs, _targets, Options.BatchSize, Options.SequenceLength, CounterRng.Hash(dropoutSeed, (ulong)micro));
            loss.CopyTo(scalar);
            lossSum += scalar[0];
            _tape.Backward(loss, 1f / accumulation);
        }

        _tape.Reset();
        float meanLoss = (float)(lossSum / accumulation);
        float norm = (float)Math.Sqrt(parameters.Device.SumOfSquares(parameters.AllGradients));
        float rate = _schedule.At(Step);
        bool skip = !float.IsFinite(meanLoss) || !float.IsFinite(norm);
        if (skip)
        {
            SkippedSteps++;
        }
        else
        {
            float clip = Options.GradientClip;
            Optimizer.Step(rate, clip > 0 && norm > clip ? clip / norm : 1f);
        }

        Step++;
        var elapsed = Stopwatch.GetElapsedTime(started);
        double seconds = elapsed.TotalSeconds;
        double tokens = (double)Options.BatchSize * Options.SequenceLength * accumulation;
        return new TrainingProgress(Step, Options.MaxSteps, meanLoss, rate, norm, tokens / Math.Max(seconds, 1e-9),
            null, skip, SkippedSteps, elapsed, TimeSpan.Zero);
    }

    /// <summary>Mean loss over <see cref="TrainingOptions.EvalBatches"/> fixed batches of the validation
    /// set (the training set when there is none), without dropout or gradients.</summary>
    public float Evaluate()
    {
        var data = _validation ?? _train;
        var sampler = new BatchSampler(data, Options.BatchSize, Options.SequenceLength, Options.Seed ^ EvalStream);
        double sum = 0;
        Span<float> scalar = stackalloc float[1];
        _tape.IsTraining = false;
        using (_tape.NoGrad())
        {
            for (int i = 0; i < Options.EvalBatches; i++)
            {
                _tape.Reset();
                sampler.Next(_inputs, _targets);
                Model.Loss(_tape, _inputs, _targets, Options.BatchSize, Options.SequenceLength).CopyTo(scalar);
                sum += scalar[0];
            }
        }

        _tape.Reset();
        return (float)(sum / Options.EvalBatches);
    }

    /// <summary>
    /// Trains until <see cref="TrainingOptions.MaxSteps"/>, evaluating and checkpointing as configured.
    /// On cancellation the current state is checkpointed (when a checkpoint folder is set) before the
    /// <see cref="OperationCanceledException"/> propagates, so no finished step is lost.
    /// </summary>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Stops the run between steps.</param>
    public Task<TrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Run(progress, cancellationToken), cancellationToken);

    /// <summary>Writes a checkpoint of the current state.</summary>
    /// <param name="path">Target file (replaced atomically).</param>
    public void SaveCheckpoint(string path) =>
        Checkpoint.Save(path, Model, Optimizer, new Checkpoint.State(Model.Config, Step, Optimizer.StepCount, _sampler.Position, SkippedSteps, Options.Seed));

    /// <summary>Restores weights, moments, step and data position from a checkpoint of this model's shape.</summary>
    /// <param name="path">The checkpoint file.</param>
    public void LoadCheckpoint(string path)
    {
        var state = Checkpoint.Load(path, Model, Optimizer);
        Step = state.Step;
        SkippedSteps = state.SkippedSteps;
        _sampler.Position = state.DataPosition;
    }

    /// <summary>Frees the optimizer's moments and the activation memory (not the model).</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        _tape.Dispose();
    }

    private TrainingResult Run(IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        int firstStep = Step;
        float lastLoss = float.NaN;
        string? checkpointPath = Options.CheckpointDirectory is null ? null : Path.Combine(Options.CheckpointDirectory, Checkpoint.FileName);
        while (Step < Options.MaxSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (checkpointPath is not null && Step > firstStep) SaveCheckpoint(checkpointPath);
                cancellationToken.ThrowIfCancellationRequested();
            }

            var report = TrainStep();
            lastLoss = report.Loss;
            float? validation = null;
            if (Options.EvalInterval > 0 && (Step % Options.EvalInterval == 0 || Step == Options.MaxSteps)) validation = Evaluate();
            if (checkpointPath is not null && Options.CheckpointInterval > 0 && Step % Options.CheckpointInterval == 0) SaveCheckpoint(checkpointPath);
            double perStep = clock.Elapsed.TotalSeconds / (Step - firstStep);
            progress?.Report(report with
            {
                ValidationLoss = validation,
                Elapsed = clock.Elapsed,
                Remaining = TimeSpan.FromSeconds(perStep * (Options.MaxSteps - Step)),
            });
        }

        if (checkpointPath is not null) SaveCheckpoint(checkpointPath);
        float? finalValidation = _validation is null ? null : Evaluate();
        return new TrainingResult(Step, lastLoss, finalValidation, SkippedSteps, clock.Elapsed);
    }
}
