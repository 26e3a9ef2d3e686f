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
public sealed class RewardModelTraining : TrainingRun<RewardModelTraining, PreferenceDataset, PreferenceDataOptions>
{
    private Action<RewardModelTrainingStart>? _starting;

    private RewardModelTraining(GptModel model, ITokenizer tokenizer)
        : base(model, tokenizer, DefaultOptions, "reward", (data, fraction, seed) => data.Split(fraction, seed), data => data.SkippedLines)
    {
    }

    /// <summary>The hyper-parameters a run starts from, before <c>WithOptions</c> edits them: those of
    /// <see cref="FineTune.DefaultOptions"/> (a reward model adapts a trained model too), where
    /// <see cref="TrainingOptions.BatchSize"/> counts prompts: each brings its pairs, two rows each.</summary>
    public static TrainingOptions DefaultOptions => FineTune.DefaultOptions;

    /// <summary>Starts a run that trains a reward model from <paramref name="model"/> (updated in place, or adapted with LoRA).</summary>
    /// <param name="model">The trunk, usually the SFT model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    public static RewardModelTraining For(GptModel model, ITokenizer tokenizer) =>
        new(model ?? throw new ArgumentNullException(nameof(model)), tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)));

    /// <summary>Trains on a JSONL file of preferences: <c>{"prompt", "chosen", "rejected"}</c> or
    /// <c>{"prompt", "responses": [best, ..., worst]}</c> per line (see <see cref="PreferenceDataset.Load"/>).</summary>
    /// <param name="path">The file.</param>
    public RewardModelTraining OnPreferenceData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Data = (o, ct) => PreferenceDataset.Load(path, Tokenizer, o, ct);
        return this;
    }

    /// <summary>Trains on preferences in memory.</summary>
    /// <param name="examples">The examples.</param>
    public RewardModelTraining OnPreferenceData(IEnumerable<PreferenceExample> examples)
    {
        var list = (examples ?? throw new ArgumentNullException(nameof(examples))).ToList();
        Data = (o, ct) => PreferenceDataset.FromExamples(list, Tokenizer, o, ct);
        return this;
    }

    /// <summary>Evaluates on preferences in memory instead of a split of the training data, e.g. prompts the caller held out
    /// by their text.</summary>
    /// <param name="examples">The examples.</param>
    public RewardModelTraining WithEvaluationData(IEnumerable<PreferenceExample> examples)
    {
        var list = (examples ?? throw new ArgumentNullException(nameof(examples))).ToList();
        EvaluationData = (o, ct) => PreferenceDataset.FromExamples(list, Tokenizer, o, ct);
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

    /// <summary>Loads the data, adds the head (and the adapter), and trains: resuming from the output folder's checkpoint
    /// when there is one, saving the reward model at the end, and on cancellation saving both the checkpoint and a usable
    /// reward model before the <see cref="OperationCanceledException"/> propagates.</summary>
    /// <param name="progress">Receives a report after every step, with <c>accuracy</c>, <c>margin</c>,
    /// <c>chosen_reward</c> and <c>rejected_reward</c> in its metrics.</param>
    /// <param name="cancellationToken">Stops the run between steps.</param>
    /// <returns>The run's figures and the trained reward model (dispose it: it owns the head, not the model).</returns>
    public async Task<RewardModelTrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Data is null) throw new InvalidOperationException("no training data: call OnPreferenceData first.");
        if (Output is not null) TokenizerFiles.EnsureSavable(Tokenizer, "tokenizer");
        var options = SavingRun.Options(Options, Output, Model.Config);
        var dataOptions = DataOptions(new PreferenceDataOptions { SequenceLength = options.SequenceLength, VocabularySize = Model.Config.VocabularySize }).Validate();
        var (train, heldOut, skipped, skippedEvaluation) = await Task.Run(() => LoadData(dataOptions, options.Seed, cancellationToken), cancellationToken).ConfigureAwait(false);

        var adapter = AddAdapter();
        var rewardModel = RewardModel.Create(Model, Tokenizer, options.Seed, adapter);
        try
        {
            var objective = new RewardModelObjective(rewardModel.Head, train, heldOut, options.BatchSize, options.Seed);
            using var trainer = new Trainer(Model, objective, options, adapter, Communicator);
            bool resumed = trainer.TryResume();
            _starting?.Invoke(new RewardModelTrainingStart(train, heldOut, skipped, skippedEvaluation, resumed ? trainer.Step : null, options));
            var result = await SavingRun.RunAsync(trainer, () => Save(rewardModel), progress, cancellationToken).ConfigureAwait(false);
            return new RewardModelTrainingResult(result, trainer.LastEvaluationMetrics, rewardModel, Output, skipped.Count);
        }
        catch
        {
            rewardModel.Dispose();
            throw;
        }
    }

    private protected override PreferenceDataset Load(string path, PreferenceDataOptions options, CancellationToken cancellationToken) =>
        PreferenceDataset.Load(path, Tokenizer, options, cancellationToken);

    private void Save(RewardModel rewardModel)
    {
        if (Output is not null) rewardModel.Save(Output);
    }
}
