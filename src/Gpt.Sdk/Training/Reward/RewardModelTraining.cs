using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// The fluent way to train a reward model in process, what TRL's <c>RewardTrainer</c> does: a new <c>score</c> head on a
/// model (every weight trained, or a LoRA adapter with the head), preference data (pairs or ranked lists, a held-out split
/// whose pairwise accuracy is reported), and a run that saves a reward model folder (<see cref="RewardModel.Save"/>),
/// resumes from that folder, and leaves a usable checkpoint and reward model when cancelled.
/// <code>
/// var result = await RewardModelTraining.For(model, tokenizer)
///     .OnPreferenceData("preferences.jsonl")
///     .HoldOut(0.1)
///     .WithLora(new LoraConfig { Rank = 8, Alpha = 16 })
///     .WithOptions(o => o with { MaxSteps = 300, LearningRate = 1e-4f })
///     .SaveTo("models/reward")
///     .RunAsync(progress, cancellationToken);
/// using var rewardModel = result.RewardModel;
/// float score = rewardModel.Score("Q: 2+2?", " A: 4.");
/// </code>
/// </summary>
public sealed class RewardModelTraining
{
    private readonly GptModel _model;
    private readonly ITokenizer _tokenizer;
    private (LoraConfig Config, string Name, ulong Seed)? _lora;
    private Func<PreferenceDataOptions, PreferenceDataset>? _data;
    private Func<PreferenceDataOptions, PreferenceDataset>? _evaluationData;
    private double _heldOut;
    private Func<PreferenceDataOptions, PreferenceDataOptions> _dataOptions = o => o;
    private TrainingOptions _options = DefaultOptions;
    private string? _output;
    private Action<RewardModelTrainingStart>? _starting;

    private RewardModelTraining(GptModel model, ITokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>The hyper-parameters a run starts from, before <see cref="WithOptions"/> edits them: those of
    /// <see cref="FineTune.DefaultOptions"/> (a reward model adapts a trained model too), where
    /// <see cref="TrainingOptions.BatchSize"/> counts prompts: each brings its pairs, two rows each.</summary>
    public static TrainingOptions DefaultOptions => FineTune.DefaultOptions;

    /// <summary>Starts a run that trains a reward model from <paramref name="model"/> (updated in place, or adapted with LoRA).</summary>
    /// <param name="model">The trunk, usually the SFT model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    public static RewardModelTraining For(GptModel model, ITokenizer tokenizer) =>
        new(model ?? throw new ArgumentNullException(nameof(model)), tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)));

    /// <summary>Trains a new LoRA adapter and the head instead of every weight (the base is frozen); the saved reward model
    /// has the adapter merged into its weights.</summary>
    /// <param name="config">Rank, alpha, dropout and target modules.</param>
    /// <param name="name">The adapter's name on the model.</param>
    /// <param name="seed">Seed of A's initial values.</param>
    public RewardModelTraining WithLora(LoraConfig config, string name = "reward", ulong seed = 0)
    {
        _lora = ((config ?? throw new ArgumentNullException(nameof(config))).Validate(), name, seed);
        return this;
    }

    /// <summary>Trains on a JSONL file of preferences: <c>{"prompt", "chosen", "rejected"}</c> or
    /// <c>{"prompt", "responses": [best, ..., worst]}</c> per line (see <see cref="PreferenceDataset.Load"/>).</summary>
    /// <param name="path">The file.</param>
    public RewardModelTraining OnPreferenceData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _data = o => PreferenceDataset.Load(path, _tokenizer, o);
        return this;
    }

    /// <summary>Trains on preferences in memory.</summary>
    /// <param name="examples">The examples.</param>
    public RewardModelTraining OnPreferenceData(IEnumerable<PreferenceExample> examples)
    {
        var list = (examples ?? throw new ArgumentNullException(nameof(examples))).ToList();
        _data = o => PreferenceDataset.FromExamples(list, _tokenizer, o);
        return this;
    }

    /// <summary>Evaluates on a JSONL file of preferences instead of a split of the training data.</summary>
    /// <param name="path">The file.</param>
    public RewardModelTraining WithEvaluationData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _evaluationData = o => PreferenceDataset.Load(path, _tokenizer, o);
        return this;
    }

    /// <summary>Evaluates on preferences in memory instead of a split of the training data, e.g. prompts the caller held out
    /// by their text.</summary>
    /// <param name="examples">The examples.</param>
    public RewardModelTraining WithEvaluationData(IEnumerable<PreferenceExample> examples)
    {
        var list = (examples ?? throw new ArgumentNullException(nameof(examples))).ToList();
        _evaluationData = o => PreferenceDataset.FromExamples(list, _tokenizer, o);
        return this;
    }

    /// <summary>Keeps a seeded fraction of the prompts (with all their pairs) out for evaluation: its pairwise accuracy is
    /// the run's <c>validation_accuracy</c>.</summary>
    /// <param name="fraction">In (0, 1).</param>
    public RewardModelTraining HoldOut(double fraction)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"the held-out fraction must be in (0, 1), got {fraction}.");
        _heldOut = fraction;
        return this;
    }

    /// <summary>Adjusts how data is read (over-long lines skipped or refused).</summary>
    /// <param name="configure">Edits the options; the sequence length comes from the training options.</param>
    public RewardModelTraining WithDataOptions(Func<PreferenceDataOptions, PreferenceDataOptions> configure)
    {
        _dataOptions = configure ?? throw new ArgumentNullException(nameof(configure));
        return this;
    }

    /// <summary>Adjusts the hyper-parameters (prompts per batch, sequence length, steps, learning rate, seed, ...).</summary>
    /// <param name="configure">Edits the defaults.</param>
    public RewardModelTraining WithOptions(Func<TrainingOptions, TrainingOptions> configure)
    {
        _options = (configure ?? throw new ArgumentNullException(nameof(configure)))(_options);
        return this;
    }

    /// <summary>Calls <paramref name="report"/> when the run is ready, before its first step (data loaded, adapter added,
    /// checkpoint restored). Throwing from it stops the run before anything is written.</summary>
    /// <param name="report">Receives the data and the step the run starts from.</param>
    public RewardModelTraining OnStarting(Action<RewardModelTrainingStart> report)
    {
        _starting = report ?? throw new ArgumentNullException(nameof(report));
        return this;
    }

    /// <summary>Saves the reward model folder to <paramref name="directory"/> (<see cref="RewardModel.Save"/>: a model folder
    /// with its tokenizer and <c>score_head.safetensors</c>) and keeps the run's checkpoint there, so running again resumes.
    /// The tokenizer must be a <see cref="BpeTokenizer"/> or <see cref="CharTokenizer"/>.</summary>
    /// <param name="directory">The output folder.</param>
    public RewardModelTraining SaveTo(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _output = directory;
        return this;
    }

    /// <summary>Loads the data, adds the head (and the adapter), and trains: resuming from the output folder's checkpoint
    /// when there is one, saving the reward model at the end, and on cancellation saving both the checkpoint and a usable
    /// reward model before the <see cref="OperationCanceledException"/> propagates.</summary>
    /// <param name="progress">Receives a report after every step, with <c>accuracy</c>, <c>margin</c>,
    /// <c>chosen_reward</c> and <c>rejected_reward</c> in its metrics.</param>
    /// <param name="cancellationToken">Stops the run between steps.</param>
    /// <returns>The run's figures and the trained reward model (dispose it: it owns the head, not the model).</returns>
    public async Task<RewardModelTrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_data is null) throw new InvalidOperationException("no training data: call OnPreferenceData first.");
        if (_output is not null) TokenizerFiles.EnsureSavable(_tokenizer, "tokenizer");
        var options = SavingRun.Options(_options, _output, _model.Config);
        var dataOptions = _dataOptions(new PreferenceDataOptions { SequenceLength = options.SequenceLength, VocabularySize = _model.Config.VocabularySize }).Validate();
        var (train, heldOut, skipped, skippedEvaluation) = await Task.Run(() => LoadData(dataOptions, options.Seed), cancellationToken).ConfigureAwait(false);

        LoraAdapter? adapter = null;
        if (_lora is { } lora) adapter = _model.AddLoraAdapter(lora.Name, lora.Config, lora.Seed);
        var rewardModel = RewardModel.Create(_model, _tokenizer, options.Seed, adapter);
        try
        {
            var objective = new RewardModelObjective(rewardModel.Head, train, heldOut, options.BatchSize, options.Seed);
            using var trainer = new Trainer(_model, objective, options, adapter);
            bool resumed = trainer.TryResume();
            _starting?.Invoke(new RewardModelTrainingStart(train, heldOut, skipped, skippedEvaluation, resumed ? trainer.Step : null, options));
            var result = await SavingRun.RunAsync(trainer, () => Save(rewardModel), progress, cancellationToken).ConfigureAwait(false);
            return new RewardModelTrainingResult(result, trainer.LastEvaluationMetrics, rewardModel, _output, skipped.Count);
        }
        catch
        {
            rewardModel.Dispose();
            throw;
        }
    }

    private void Save(RewardModel rewardModel)
    {
        if (_output is not null) rewardModel.Save(_output);
    }

    // The skipped lines are read before any split: a dataset made by Split no longer knows them.
    private (PreferenceDataset Train, PreferenceDataset? Evaluation, IReadOnlyList<int> Skipped, IReadOnlyList<int> SkippedEvaluation) LoadData(
        PreferenceDataOptions options, ulong seed)
    {
        var all = _data!(options);
        if (_evaluationData is not null)
        {
            var evaluation = _evaluationData(options);
            return (all, evaluation, all.SkippedLines, evaluation.SkippedLines);
        }

        if (_heldOut > 0)
        {
            var (train, heldOut) = all.Split(_heldOut, seed);
            return (train, heldOut, all.SkippedLines, []);
        }

        return (all, null, all.SkippedLines, []);
    }
}
