using System.Collections.Frozen;
using System.Diagnostics;
using Gpt.Kernels.Random;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Training;

/// <summary>
/// Trains a <see cref="GptModel"/> (its base weights, a LoRA adapter, heads: whatever is trainable) on an
/// <see cref="ITrainingObjective"/>: AdamW, warm-up + cosine schedule, gradient accumulation, global-norm
/// clipping, a guard that skips steps whose loss or gradient is not finite, periodic evaluation and
/// checkpoints, and resuming from the checkpoint folder. For given seeds and thread count a run is
/// bit-reproducible, and a resumed run continues bit-identically.
/// Given a <see cref="Training.Communicator"/> of several ranks it trains data-parallel, as PyTorch's
/// DistributedDataParallel does: each rank draws its shard of every global batch, gradients are averaged over the ranks
/// before clipping and AdamW, every rank applies the same step, and rank 0 alone writes checkpoints.
/// </summary>
public sealed class Trainer : IDisposable
{
    private const ulong DropoutStream = 0xD50;
    private const ulong EvalStream = 0xE7A1;

    private readonly ITrainingObjective _objective;
    private readonly bool _hasEvaluation, _finalValidation;
    private readonly Tape _tape;
    private readonly LearningRateSchedule _schedule;
    private readonly DataParallel? _parallel;

    /// <summary>Prepares a language-modelling run on a token corpus (pretraining); nothing is computed until
    /// <see cref="TrainStep"/> or <see cref="RunAsync"/>.</summary>
    /// <param name="model">The model to train (updated in place).</param>
    /// <param name="trainData">Training tokens.</param>
    /// <param name="validationData">Held-out tokens for evaluation, or null (evaluation then reads fixed training windows).</param>
    /// <param name="options">Hyper-parameters; validated. <see cref="TrainingOptions.BatchSize"/> and
    /// <see cref="TrainingOptions.SequenceLength"/> shape the windows (the batch is per rank).</param>
    /// <param name="communicator">The ranks to train data-parallel with, or null for this process alone.</param>
    public Trainer(GptModel model, TokenDataset trainData, TokenDataset? validationData, TrainingOptions options, Communicator? communicator = null)
        : this(model, WindowObjective(model, trainData, validationData, options), options, adapter: null, finalValidation: validationData is not null, communicator)
    {
    }

    /// <summary>Prepares a run of any objective; nothing is computed until <see cref="TrainStep"/> or <see cref="RunAsync"/>.</summary>
    /// <param name="model">The model to train (updated in place).</param>
    /// <param name="objective">The loss and its data.</param>
    /// <param name="options">Hyper-parameters; validated.</param>
    /// <param name="adapter">The LoRA adapter every pass applies (and that is trained if its segment is trainable), or null.</param>
    /// <param name="communicator">The ranks to train data-parallel with, or null for this process alone; on several ranks
    /// the objective's training data is sharded (<see cref="ITrainingObjective.ShardTrainingData"/>).</param>
    public Trainer(GptModel model, ITrainingObjective objective, TrainingOptions options, Nn.Lora.LoraAdapter? adapter = null, Communicator? communicator = null)
        : this(model, objective, options, adapter, finalValidation: true, communicator)
    {
    }

    private Trainer(GptModel model, ITrainingObjective objective, TrainingOptions options, Nn.Lora.LoraAdapter? adapter, bool finalValidation,
        Communicator? communicator)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _objective = objective ?? throw new ArgumentNullException(nameof(objective));
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (adapter is not null && model.Adapters.GetValueOrDefault(adapter.Name) != adapter)
            throw new ArgumentException($"adapter '{adapter.Name}' is not loaded on this model.", nameof(adapter));
        Adapter = adapter;
        _hasEvaluation = objective.HasEvaluationData;
        _finalValidation = finalValidation && _hasEvaluation;
        var segments = new List<ParameterSegment>();
        if (model.Parameters.Trainable) segments.Add(model.Parameters);
        if (adapter is { Parameters.Trainable: true }) segments.Add(adapter.Parameters);
        segments.AddRange(objective.Segments.Where(s => s.Trainable));
        if (segments.Count == 0)
            throw new ArgumentException("nothing is trainable: the base model is frozen and no trainable adapter or head was given.", nameof(model));
        Optimizer = new AdamW(segments, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        _tape = new Tape(model.Device);
        _schedule = new LearningRateSchedule(options.LearningRate, options.MinLearningRate, options.WarmupSteps, options.MaxSteps);
        Communicator = communicator ?? Communicator.SingleProcess();
        if (Communicator.Size > 1)
        {
            objective.ShardTrainingData(Communicator.Rank, Communicator.Size);
            _parallel = new DataParallel(Communicator);
        }
    }

    /// <summary>The ranks this run trains on (a single process unless one was given).</summary>
    public Communicator Communicator { get; }

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

    /// <summary>The adapter trained and applied, or null.</summary>
    public Nn.Lora.LoraAdapter? Adapter { get; }

    /// <summary>Runs one optimizer step (all accumulation micro-batches) and reports it.</summary>
    public TrainingProgress TrainStep()
    {
        long started = Stopwatch.GetTimestamp();
        _parallel?.ShareWeightsOnce(TrainedAndFrozenSegments());
        Optimizer.ZeroGradients();
        int accumulation = Options.GradientAccumulationSteps, ranks = Communicator.Size;
        ulong dropoutSeed = CounterRng.Hash(Options.Seed ^ DropoutStream, (ulong)Step);
        if (ranks > 1) dropoutSeed = CounterRng.Hash(dropoutSeed, (ulong)Communicator.Rank);   // each shard its own masks
        double lossSum = 0;
        Span<float> scalar = stackalloc float[1];
        Dictionary<string, double>? metrics = null;
        _tape.IsTraining = true;
        for (int micro = 0; micro < accumulation; micro++)
        {
            _tape.Reset();
            var loss = _objective.TrainingLoss(_tape, new TrainingContext(Model, Adapter, CounterRng.Hash(dropoutSeed, (ulong)micro)) { GradientScale = 1f / accumulation });
            loss.CopyTo(scalar);
            lossSum += scalar[0];
            // Count first: enumerating through the interface allocates, and a steady step allocates nothing.
            var measured = _objective.TrainingMetrics;
            if (measured.Count > 0)
            {
                metrics ??= [];
                foreach (var (name, value) in measured) metrics[name] = metrics.GetValueOrDefault(name) + value / accumulation;
            }

            _tape.Backward(loss, 1f / (accumulation * ranks));   // the 1/ranks of the average over ranks
        }

        _tape.Reset();
        if (_parallel is not null)
        {
            _parallel.SumGradients(Optimizer);
            lossSum = _parallel.Mean(lossSum);
        }

        float meanLoss = (float)(lossSum / accumulation);
        float norm = (float)Optimizer.GradientNorm();
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
        double tokens = (double)_objective.TokensPerBatch * accumulation * ranks;
        return new TrainingProgress(Step, Options.MaxSteps, meanLoss, rate, norm, tokens / Math.Max(seconds, 1e-9),
            null, skip, SkippedSteps, elapsed, TimeSpan.Zero) { Metrics = metrics ?? (IReadOnlyDictionary<string, double>)FrozenDictionary<string, double>.Empty };
    }

    /// <summary>Mean loss over at most <see cref="TrainingOptions.EvalBatches"/> fixed held-out batches, without dropout or
    /// gradients.</summary>
    public float Evaluate()
    {
        _tape.IsTraining = false;
        float loss;
        using (_tape.NoGrad())
            loss = _objective.Evaluate(_tape, new TrainingContext(Model, Adapter, 0), Options.EvalBatches);
        _tape.Reset();
        LastEvaluationMetrics = _objective.EvaluationMetrics.ToFrozenDictionary();
        return loss;
    }

    /// <summary>The objective's values besides the loss measured by the last <see cref="Evaluate"/> (a reward model's
    /// held-out accuracy, say); empty before the first evaluation or for language modelling.</summary>
    public IReadOnlyDictionary<string, double> LastEvaluationMetrics { get; private set; } = FrozenDictionary<string, double>.Empty;

    /// <summary>The run's metrics file (<see cref="MetricsLog.FileName"/> in <see cref="TrainingOptions.CheckpointDirectory"/>),
    /// appended a row per step by <see cref="RunAsync"/>; null when no output folder is set.</summary>
    public MetricsLog? Metrics => Options.CheckpointDirectory is null ? null : MetricsLog.InFolder(Options.CheckpointDirectory);

    /// <summary>The checkpoint file of this run (in <see cref="TrainingOptions.CheckpointDirectory"/>), or null when none is kept.</summary>
    public string? CheckpointPath => Options.CheckpointDirectory is null ? null : Path.Combine(Options.CheckpointDirectory, Checkpoint.FileName);

    /// <summary>Restores the run from its checkpoint folder when a checkpoint is there (weights of every trained
    /// segment, moments, step and data position), so the run continues bit-identically. On several ranks every rank
    /// calls it; rank 0's folder decides, and rank 0's checkpoint is broadcast.</summary>
    /// <returns>True when a checkpoint was loaded.</returns>
    public bool TryResume()
    {
        bool found = CheckpointPath is { } path && File.Exists(path);
        if (_parallel is not null) found = _parallel.RootSays(found);
        if (!found) return false;
        LoadCheckpoint(CheckpointPath!);
        return true;
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

    /// <summary>Writes a checkpoint of the current state (on several ranks, rank 0 writes it; the others return at once,
    /// their state being the same).</summary>
    /// <param name="path">Target file (replaced atomically).</param>
    public void SaveCheckpoint(string path)
    {
        if (Communicator.Rank == 0) Checkpoint.Save(path, Optimizer, new Checkpoint.State(Model.Config, Step, Optimizer.StepCount, _objective.DataPosition, SkippedSteps, Options.Seed));
    }

    /// <summary>Restores trained weights, moments, step and data position from a checkpoint of this run's shape.</summary>
    /// <param name="path">The checkpoint file (on several ranks, rank 0 reads it and broadcasts what it holds).</param>
    public void LoadCheckpoint(string path)
    {
        var state = _parallel is null ? Checkpoint.Load(path, Model.Config, Optimizer) : LoadOnRootAndShare(path);
        Step = state.Step;
        SkippedSteps = state.SkippedSteps;
        _objective.DataPosition = state.DataPosition;
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
        string? checkpointPath = CheckpointPath;
        var metrics = Communicator.Rank == 0 ? Metrics : null;   // rank 0 alone writes, as with checkpoints
        // Rows past the step the run starts from belong to a run that did not checkpoint them: drop them, so a resumed
        // (or restarted) run never logs a step twice.
        metrics?.TruncateAfter(Step);
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
            if (_hasEvaluation && Options.EvalInterval > 0 && (Step % Options.EvalInterval == 0 || Step == Options.MaxSteps)) validation = Evaluate();
            if (checkpointPath is not null && Options.CheckpointInterval > 0 && Step % Options.CheckpointInterval == 0) SaveCheckpoint(checkpointPath);
            double perStep = clock.Elapsed.TotalSeconds / (Step - firstStep);
            report = report with
            {
                ValidationLoss = validation,
                ValidationMetrics = validation is null ? FrozenDictionary<string, double>.Empty : LastEvaluationMetrics,
                Elapsed = clock.Elapsed,
                Remaining = TimeSpan.FromSeconds(perStep * (Options.MaxSteps - Step)),
            };
            metrics?.Append(Step, MetricsOf(report));
            progress?.Report(report);
        }

        if (checkpointPath is not null) SaveCheckpoint(checkpointPath);
        float? finalValidation = _finalValidation ? Evaluate() : null;
        return new TrainingResult(Step, lastLoss, finalValidation, SkippedSteps, clock.Elapsed);
    }

    private static IEnumerable<KeyValuePair<string, double>> MetricsOf(TrainingProgress report)
    {
        yield return new("loss", report.Loss);
        yield return new("learning_rate", report.LearningRate);
        yield return new("gradient_norm", report.GradientNorm);
        yield return new("tokens_per_second", report.TokensPerSecond);
        yield return new("skipped", report.Skipped ? 1 : 0);
        yield return new("elapsed_seconds", report.Elapsed.TotalSeconds);
        foreach (var metric in report.Metrics) yield return metric;
        if (report.ValidationLoss is { } validation) yield return new("validation_loss", validation);
        foreach (var (name, value) in report.ValidationMetrics) yield return new("validation_" + name, value);
    }

    // A failure to read the checkpoint on rank 0 must not leave the other ranks waiting for its broadcast: it ends the job.
    private Checkpoint.State LoadOnRootAndShare(string path)
    {
        Checkpoint.State? state = null;
        if (_parallel!.IsRoot)
        {
            try
            {
                state = Checkpoint.Load(path, Model.Config, Optimizer);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"error: rank 0 could not load {path}: {e.Message}");
                Communicator.Abort(1);
                throw;
            }
        }

        return _parallel.ShareResumedState(Optimizer, state, Model.Config);
    }

    // Every segment a pass reads: the trained ones and frozen ones (a LoRA run's base), so all ranks start equal.
    private IEnumerable<ParameterSegment> TrainedAndFrozenSegments()
    {
        var segments = new List<ParameterSegment> { Model.Parameters };
        if (Adapter is not null) segments.Add(Adapter.Parameters);
        segments.AddRange(Optimizer.Segments);
        return segments.Distinct();
    }

    // Pretraining's objective: random windows of the corpus; evaluation reads fixed windows of the validation set (the
    // training set when there is none), drawn from a stream of their own.
    private static NextTokenObjective WindowObjective(GptModel model, TokenDataset trainData, TokenDataset? validationData, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.SequenceLength > model.Config.ContextLength)
            throw new ArgumentException($"sequence length {options.SequenceLength} exceeds the model's context of {model.Config.ContextLength}.", nameof(options));
        if (validationData is not null && validationData.Length < options.SequenceLength + 1)
            throw new ArgumentException($"the validation set has {validationData.Length} tokens; it needs at least {options.SequenceLength + 1}.", nameof(validationData));
        var train = new TokenWindowSource(trainData, options.BatchSize, options.SequenceLength, options.Seed);
        var evaluation = new TokenWindowSource(validationData ?? trainData, options.BatchSize, options.SequenceLength, options.Seed ^ EvalStream);
        return new NextTokenObjective(train, evaluation);
    }
}
