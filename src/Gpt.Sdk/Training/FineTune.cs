using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// The fluent way to fine-tune a model in process: from a model to an optional LoRA adapter, to SFT data,
/// to a run that saves a PEFT adapter folder (LoRA) or a model folder (full fine-tune), resumes from that
/// folder, and leaves a usable checkpoint and output when cancelled.
/// <code>
/// var result = await FineTune.For(model, tokenizer)
///     .WithLora(new LoraConfig { Rank = 8, Alpha = 16, TargetModules = ["c_attn", "c_proj", "c_fc"] }, "support")
///     .OnSftData("train.jsonl")
///     .HoldOut(0.1)
///     .WithOptions(o => o with { MaxSteps = 300, LearningRate = 2e-4f })
///     .SaveTo("adapters/support")
///     .RunAsync(progress, cancellationToken);
/// </code>
/// </summary>
public sealed class FineTune : TrainingRun<FineTune, SftDataset, SftDataOptions>
{
    private bool _pack;
    private Action<FineTuneStart>? _starting;

    private FineTune(GptModel model, ITokenizer tokenizer)
        : base(model, tokenizer, DefaultOptions, "default", (data, fraction, seed) => data.Split(fraction, seed), data => data.SkippedLines)
    {
    }

    /// <summary>The hyper-parameters a run starts from, before <c>WithOptions</c> edits them: a short run at a
    /// learning rate suited to adapting a trained model (pretraining's defaults would undo what the model knows).</summary>
    public static TrainingOptions DefaultOptions { get; } =
        new() { MaxSteps = 200, LearningRate = 1e-4f, MinLearningRate = 1e-5f, WarmupSteps = 10, BatchSize = 4, EvalInterval = 50 };

    /// <summary>Starts a fine-tuning run of <paramref name="model"/> (updated in place, or adapted with LoRA).</summary>
    /// <param name="model">The model, new or pretrained.</param>
    /// <param name="tokenizer">Its tokenizer (renders the data).</param>
    public static FineTune For(GptModel model, ITokenizer tokenizer) =>
        new(model ?? throw new ArgumentNullException(nameof(model)), tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)));

    /// <summary>Trains on a JSONL file of SFT examples (prompt/completion, messages, or edit).</summary>
    /// <param name="path">The file.</param>
    public FineTune OnSftData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Data = (o, ct) => SftDataset.Load(path, Tokenizer, o, ct);
        return this;
    }

    /// <summary>Trains on SFT examples in memory.</summary>
    /// <param name="examples">The examples.</param>
    public FineTune OnSftData(IEnumerable<SftExample> examples)
    {
        var list = (examples ?? throw new ArgumentNullException(nameof(examples))).ToList();
        Data = (o, ct) => SftDataset.FromExamples(list, Tokenizer, o, ct);
        return this;
    }

    /// <summary>Packs several examples into each context window (each attends only to itself).</summary>
    /// <param name="pack">True to pack.</param>
    public FineTune Packed(bool pack = true)
    {
        _pack = pack;
        return this;
    }

    /// <summary>Calls <paramref name="report"/> when the run is ready, before its first step: the data is loaded (with the
    /// over-long examples that were left out), the adapter added and the checkpoint, if any, restored. Throwing from it
    /// stops the run before anything is written.</summary>
    /// <param name="report">Receives the data and the step the run starts from.</param>
    public FineTune OnStarting(Action<FineTuneStart> report)
    {
        _starting = report ?? throw new ArgumentNullException(nameof(report));
        return this;
    }

    /// <summary>Loads the data, adds the adapter, and trains: resuming from the output folder's checkpoint when there is
    /// one, saving the result at the end, and on cancellation saving both the checkpoint and a usable result before the
    /// <see cref="OperationCanceledException"/> propagates.</summary>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Stops the run between steps.</param>
    public async Task<FineTuneResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Data is null) throw new InvalidOperationException("no training data: call OnSftData first.");
        // A full fine-tune saves a model folder with its tokenizer: refuse one that cannot be saved now, not after training.
        TrainedOutput.EnsureSavable(Output, Lora is not null, Tokenizer);
        var options = SavingRun.Options(Options, Output, Model.Config);
        var dataOptions = DataOptions(new SftDataOptions { SequenceLength = options.SequenceLength, VocabularySize = Model.Config.VocabularySize }).Validate();
        var (train, heldOut, skipped, skippedEvaluation) = await Task.Run(() => LoadData(dataOptions, options.Seed, cancellationToken), cancellationToken).ConfigureAwait(false);

        var adapter = AddAdapter();
        var objective = new NextTokenObjective(
            new SftBatchSource(train, options.BatchSize, options.Seed, _pack),
            heldOut is null ? null : new SftBatchSource(heldOut, options.BatchSize, options.Seed, _pack));
        using var trainer = new Trainer(Model, objective, options, adapter, Communicator);
        bool resumed = trainer.TryResume();
        _starting?.Invoke(new FineTuneStart(train, heldOut, skipped, skippedEvaluation, resumed ? trainer.Step : null, options));
        var result = await SavingRun.RunAsync(trainer, () => TrainedOutput.Save(Model, adapter, Tokenizer, Output), progress, cancellationToken).ConfigureAwait(false);
        return new FineTuneResult(result, adapter, Output, skipped.Count);
    }

    private protected override SftDataset Load(string path, SftDataOptions options, CancellationToken cancellationToken) =>
        SftDataset.Load(path, Tokenizer, options, cancellationToken);
}
