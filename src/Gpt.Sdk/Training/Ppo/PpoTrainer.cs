using System.Diagnostics;
using System.Globalization;
using Gpt.Kernels.Random;
using Gpt.Sdk.Generation;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// PPO for language models (Ziegler et al. 2019; InstructGPT's PPO-ptx), as TRL's PPO trainer. Each iteration samples one
/// response per prompt with the KV-cached generator, scores the responses with an <see cref="IResponseScorer"/>, computes
/// in one pass each the policy's log-probabilities and values and the reference's log-probabilities, charges every token
/// β·(log π − log π_ref) and adds the score at the last one, estimates advantages with GAE(γ, λ), and runs several epochs of
/// minibatch updates of the clipped surrogate and clipped value losses (plus γ_ptx × the language-modelling loss on
/// pretraining batches). The policy is the model (every weight) or a LoRA adapter on it; the reference is the same base
/// with the adapter off, or a frozen copy of the model; the value head (<c>value</c>) reads the policy's trunk.
/// Checkpoints hold the trained segments, the value head, AdamW's moments, the iteration, β and the data positions, so a
/// resumed run continues exactly; all randomness is drawn from the seed and the iteration, so equal seeds give equal runs.
/// </summary>
public sealed class PpoTrainer : IDisposable
{
    /// <summary>The file (in the output folder) the value head is saved to.</summary>
    public const string ValueHeadFileName = "value_head.safetensors";

    private const ulong PromptStream = 0x9905, SampleStream = 0x5A3F, ShuffleStream = 0x5F1E, ValueHeadStream = 0x7A1E, PtxStream = 0x97C5;

    private readonly ITokenizer _tokenizer;
    private readonly IResponseScorer _scorer;
    private readonly PromptSet _prompts;
    private readonly int[][] _promptTokens;
    private readonly Generator _generator;
    private readonly GptModel? _reference;
    private readonly bool _ownsReference;
    private readonly TokenWindowSource? _ptx;
    private readonly TokenBatch? _ptxBatch;
    private readonly KlController _kl;
    private readonly LearningRateSchedule _schedule;
    private readonly Tape _tape;
    private ulong _promptPosition;
    private int _skippedUpdates;

    /// <summary>Prepares a run; nothing is computed until <see cref="RunIterationAsync"/> or <see cref="RunAsync"/>.</summary>
    /// <param name="model">The policy's model (the SFT model): trained in place unless <paramref name="adapter"/> is given.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="scorer">The reward: a reward model or a program (<see cref="ResponseScorer.FromFunction"/>).</param>
    /// <param name="prompts">The prompts; each must leave <see cref="PpoOptions.MaxNewTokens"/> of the context free.</param>
    /// <param name="options">Hyper-parameters; validated.</param>
    /// <param name="adapter">A trainable LoRA adapter on <paramref name="model"/> to train as the policy (the base, frozen,
    /// is then the reference), or null to train every weight of the model against a frozen copy of it.</param>
    /// <param name="ptxData">Pretraining tokens for the ptx term; required when <see cref="PpoOptions.PtxCoefficient"/> is above 0.</param>
    /// <exception cref="TrainingDataException">A prompt does not fit the context with the response budget (the message names its line).</exception>
    public PpoTrainer(GptModel model, ITokenizer tokenizer, IResponseScorer scorer, PromptSet prompts, PpoOptions options,
        LoraAdapter? adapter = null, TokenDataset? ptxData = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _scorer = scorer ?? throw new ArgumentNullException(nameof(scorer));
        _prompts = prompts ?? throw new ArgumentNullException(nameof(prompts));
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        var config = model.Config;
        if (adapter is not null)
        {
            if (model.Adapters.GetValueOrDefault(adapter.Name) != adapter)
                throw new ArgumentException($"adapter '{adapter.Name}' is not loaded on this model.", nameof(adapter));
            if (!adapter.Parameters.Trainable) throw new ArgumentException($"adapter '{adapter.Name}' is frozen; PPO trains the adapter it is given.", nameof(adapter));
            if (model.Parameters.Trainable)
                throw new ArgumentException("with a LoRA policy the base weights are the reference and must stay frozen; add the adapter with freezeBase: true.", nameof(adapter));
        }
        else if (!model.Parameters.Trainable)
        {
            throw new ArgumentException("the model's base weights are frozen and no adapter was given: nothing would be trained. Pass the LoRA adapter to train.", nameof(model));
        }
        if (Options.PtxCoefficient > 0 && ptxData is null)
            throw new ArgumentException($"PtxCoefficient is {Options.PtxCoefficient} but no pretraining data was given; pass ptxData or set PtxCoefficient to 0.", nameof(ptxData));
        if (Options.PtxCoefficient > 0 && Options.PtxSequenceLength > config.ContextLength)
            throw new ArgumentException($"PtxSequenceLength ({Options.PtxSequenceLength}) exceeds the model's context of {config.ContextLength}.", nameof(options));
        if (Options.MaxNewTokens >= config.ContextLength)
            throw new ArgumentException($"MaxNewTokens ({Options.MaxNewTokens}) leaves no room for a prompt in the model's context of {config.ContextLength}.", nameof(options));

        int budget = config.ContextLength - Options.MaxNewTokens;
        _promptTokens = new int[prompts.Count][];
        for (int i = 0; i < prompts.Count; i++)
        {
            int[] tokens = tokenizer.Encode(prompts.Texts[i]);
            if (tokens.Length > budget)
                throw prompts.Problem(i, $"the prompt has {tokens.Length} tokens; with {Options.MaxNewTokens} tokens of response the model's context of " +
                    $"{config.ContextLength} leaves room for {budget}. Shorten the prompt or lower the response length.");
            foreach (int id in tokens)
                if ((uint)id >= (uint)config.VocabularySize)
                    throw prompts.Problem(i, $"prompt token {id} is outside the model's vocabulary of {config.VocabularySize}; is this the model's tokenizer?");
            _promptTokens[i] = tokens;
        }

        Adapter = adapter;
        _generator = new Generator(model, tokenizer);
        ValueHead = new ScalarHead("value", config.EmbeddingSize, model.Device, CounterRng.Hash(Options.Seed, ValueHeadStream));
        try
        {
            if (adapter is null)
            {
                // Full fine-tuning moves every weight, so the reference must be a copy taken now (the SFT model).
                _reference = new GptModel(config, model.Device);
                var weights = new float[model.Parameters.Count];
                model.Parameters.CopyValuesTo(weights);
                _reference.Parameters.CopyValuesFrom(weights);
                _reference.Parameters.Trainable = false;
                _ownsReference = true;
            }
            if (ptxData is not null && Options.PtxCoefficient > 0)
            {
                _ptx = new TokenWindowSource(ptxData, Options.PtxBatchSize, Options.PtxSequenceLength, Options.Seed ^ PtxStream);
                _ptxBatch = _ptx.CreateBatch();
            }
            List<ParameterSegment> segments = adapter is null ? [model.Parameters] : [adapter.Parameters];
            segments.Add(ValueHead.Parameters);
            Optimizer = new AdamW(segments, 0.9f, 0.999f, 1e-8f, Options.WeightDecay);
            _tape = new Tape(model.Device);
        }
        catch
        {
            ValueHead.Dispose();
            if (_ownsReference) _reference?.Dispose();
            throw;
        }
        _kl = new KlController(Options.KlCoefficient, Options.TargetKl, Options.KlHorizon);
        _schedule = new LearningRateSchedule(Options.LearningRate, Options.MinLearningRate ?? Options.LearningRate, Options.WarmupSteps,
            Options.Iterations * Options.StepsPerIteration);
    }

    /// <summary>The policy's model.</summary>
    public GptModel Model { get; }

    /// <summary>The LoRA adapter trained as the policy, or null when every weight is trained.</summary>
    public LoraAdapter? Adapter { get; }

    /// <summary>The value head on the policy's trunk (trained with it, saved as <see cref="ValueHeadFileName"/>).</summary>
    public ScalarHead ValueHead { get; }

    /// <summary>The run's hyper-parameters.</summary>
    public PpoOptions Options { get; }

    /// <summary>The optimizer over the policy's trained segment and the value head.</summary>
    public AdamW Optimizer { get; }

    /// <summary>Iterations completed.</summary>
    public int Iteration { get; private set; }

    /// <summary>The current KL coefficient β.</summary>
    public double KlCoefficient => _kl.Value;

    /// <summary>The run's metrics file in <see cref="PpoOptions.OutputDirectory"/>, or null when there is none.</summary>
    public MetricsLog? Metrics => Options.OutputDirectory is null ? null : MetricsLog.InFolder(Options.OutputDirectory);

    /// <summary>The run's checkpoint file in <see cref="PpoOptions.OutputDirectory"/>, or null when there is none.</summary>
    public string? CheckpointPath => Options.OutputDirectory is null ? null : Path.Combine(Options.OutputDirectory, Checkpoint.FileName);

    /// <summary>Restores the run from the output folder's checkpoint when there is one.</summary>
    /// <returns>True when a checkpoint was loaded.</returns>
    public bool TryResume()
    {
        if (CheckpointPath is not { } path || !File.Exists(path)) return false;
        LoadCheckpoint(path);
        return true;
    }

    /// <summary>Writes a checkpoint: trained weights, value head, moments, iteration, β and data positions.</summary>
    /// <param name="path">Target file (replaced atomically).</param>
    public void SaveCheckpoint(string path) =>
        Checkpoint.Save(path, Optimizer, new Checkpoint.State(Model.Config, Iteration, Optimizer.StepCount, _promptPosition, _skippedUpdates, Options.Seed)
        {
            Extra = new Dictionary<string, string>
            {
                ["ppo/kl_coef"] = _kl.Value.ToString("R", CultureInfo.InvariantCulture),
                ["ppo/ptx_position"] = (_ptx?.Position ?? 0).ToString(CultureInfo.InvariantCulture),
            },
        });

    /// <summary>Restores a checkpoint written by a run of the same shape (model, adapter, options).</summary>
    /// <param name="path">The checkpoint file.</param>
    public void LoadCheckpoint(string path)
    {
        var state = Checkpoint.Load(path, Model.Config, Optimizer);
        if (state.Seed != Options.Seed)
            throw new ModelFileException(path, $"the checkpoint was written by a run with seed {state.Seed}, not {Options.Seed}; resume with the same seed or use a new folder.");
        if (!state.Extra.TryGetValue("ppo/kl_coef", out string? beta) || !state.Extra.TryGetValue("ppo/ptx_position", out string? ptx))
            throw new ModelFileException(path, "the checkpoint is not a PPO run's (it lacks the KL coefficient); use a new folder.");
        Iteration = state.Step;
        _skippedUpdates = state.SkippedSteps;
        _promptPosition = state.DataPosition;
        _kl.Value = double.Parse(beta, CultureInfo.InvariantCulture);
        if (_ptx is not null) _ptx.Position = ulong.Parse(ptx, CultureInfo.InvariantCulture);
    }

    /// <summary>Saves the policy and the value head to <paramref name="directory"/>: a PEFT adapter folder for a LoRA policy,
    /// otherwise a complete model folder with its tokenizer; the value head as <see cref="ValueHeadFileName"/>.</summary>
    /// <param name="directory">The output folder (created if needed).</param>
    public void SaveResult(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (Adapter is not null) PeftAdapterFiles.Save(Adapter, directory);
        else Model.Save(directory, _tokenizer);
        var tensors = SegmentFiles.Tensors(ValueHead.Parameters, p => p.Name);
        SafetensorsWriter.Write(Path.Combine(directory, ValueHeadFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Runs iterations until <see cref="PpoOptions.Iterations"/>, logging each to the metrics file and
    /// checkpointing as configured; at the end, and on cancellation before the exception propagates, the checkpoint and
    /// the result are saved to the output folder (when set). Cancellation is honoured before an iteration's updates start;
    /// an iteration whose updates have begun completes.</summary>
    /// <param name="progress">Receives a report after every iteration.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public async Task<PpoResult> RunAsync(IProgress<PpoProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var metrics = Metrics;
        metrics?.TruncateAfter(Iteration);
        int first = Iteration;
        PpoProgress? last = null;
        try
        {
            while (Iteration < Options.Iterations)
            {
                var report = await RunIterationAsync(cancellationToken).ConfigureAwait(false);
                report = report with { Elapsed = clock.Elapsed };
                last = report;
                metrics?.Append(Iteration, report.Metrics());
                if (CheckpointPath is { } path && Options.CheckpointInterval > 0 && Iteration % Options.CheckpointInterval == 0) SaveCheckpoint(path);
                progress?.Report(report);
            }
        }
        catch (OperationCanceledException)
        {
            if (Iteration > first) SaveOutput();
            throw;
        }
        SaveOutput();
        return new PpoResult(Iteration, last, clock.Elapsed);
    }

    /// <summary>Runs one iteration: rollouts, scores, advantages and the minibatch updates.</summary>
    /// <param name="cancellationToken">Honoured until the updates start.</param>
    public async Task<PpoProgress> RunIterationAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        long started = Stopwatch.GetTimestamp();
        int count = Options.PromptsPerIteration;
        int[] chosen = NextPrompts(count);
        var texts = chosen.Select(i => _prompts.Texts[i]).ToArray();
        var generation = new GenerationOptions { MaxTokens = Options.MaxNewTokens, Temperature = Options.Temperature, Adapter = Adapter?.Name };
        ulong iterationSeed = CounterRng.Hash(Options.Seed ^ SampleStream, (ulong)Iteration);
        var seeds = Enumerable.Range(0, count).Select(i => CounterRng.Hash(iterationSeed, (ulong)i)).ToArray();
        var results = await _generator.GenerateBatchAsync([.. chosen.Select(i => _promptTokens[i])], seeds, generation, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var samples = new List<RolloutSample>(count);
        for (int i = 0; i < count; i++)
        {
            var completion = results[i].Completions[0];
            int[] response = completion.EndTokenId is { } end ? [.. completion.TokenIds, end] : [.. completion.TokenIds];
            if (response.Length == 0) continue;                         // cannot happen with MaxTokens ≥ 1; nothing to learn if it did
            samples.Add(new RolloutSample(texts[i], _promptTokens[chosen[i]], completion.Text, response));
        }

        var (scored, skipped) = await Task.Run(() => Score(samples, cancellationToken), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        _promptPosition += (ulong)count;
        var report = await Task.Run(() => Update(scored), CancellationToken.None).ConfigureAwait(false);
        Iteration++;
        return report with { Iteration = Iteration, Iterations = Options.Iterations, SkippedSamples = skipped, Duration = Stopwatch.GetElapsedTime(started) };
    }

    /// <summary>Frees the value head, the optimizer's moments, the activation memory and the reference copy (not the model).</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        _tape.Dispose();
        ValueHead.Dispose();
        if (_ownsReference) _reference?.Dispose();
    }

    private void SaveOutput()
    {
        if (Options.OutputDirectory is not { } folder) return;
        SaveCheckpoint(CheckpointPath!);
        SaveResult(folder);
    }

    // Prompts are read in a seeded order that is reshuffled every pass over the set; the position alone resumes it.
    private int[] NextPrompts(int count)
    {
        int total = _prompts.Count;
        var chosen = new int[count];
        int[]? order = null;
        ulong orderPass = ulong.MaxValue;
        for (int i = 0; i < count; i++)
        {
            ulong position = _promptPosition + (ulong)i;
            ulong pass = position / (ulong)total;
            if (order is null || pass != orderPass)
            {
                order = Enumerable.Range(0, total).ToArray();
                Shuffle(order, CounterRng.Hash(Options.Seed ^ PromptStream, pass));
                orderPass = pass;
            }
            chosen[i] = order[(int)(position % (ulong)total)];
        }
        return chosen;
    }

    private static void Shuffle(int[] items, ulong seed)
    {
        var rng = new CounterRng(seed);
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    // A scorer that throws for the batch is asked again sample by sample, so one bad sample costs only itself.
    private (List<RolloutSample> Scored, int Skipped) Score(List<RolloutSample> samples, CancellationToken cancellationToken)
    {
        var prompts = samples.Select(s => s.Prompt).ToArray();
        var responses = samples.Select(s => s.Response).ToArray();
        float[] scores;
        Exception? failure = null;
        try
        {
            scores = _scorer.Score(prompts, responses, cancellationToken);
            if (scores is null || scores.Length != samples.Count)
                throw new InvalidOperationException($"the scorer returned {scores?.Length.ToString(CultureInfo.InvariantCulture) ?? "no"} scores for {samples.Count} responses; it must return one per response.");
        }
        catch (Exception e) when (e is not OperationCanceledException and not InvalidOperationException)
        {
            failure = e;
            scores = new float[samples.Count];
            for (int i = 0; i < scores.Length; i++)
            {
                try
                {
                    float[] one = _scorer.Score([prompts[i]], [responses[i]], cancellationToken);
                    scores[i] = one is { Length: 1 } ? one[0] : float.NaN;
                }
                catch (Exception inner) when (inner is not OperationCanceledException)
                {
                    failure = inner;
                    scores[i] = float.NaN;
                }
            }
        }

        var scored = new List<RolloutSample>(samples.Count);
        for (int i = 0; i < samples.Count; i++)
        {
            if (!float.IsFinite(scores[i])) continue;
            samples[i].Score = scores[i];
            scored.Add(samples[i]);
        }
        if (scored.Count == 0)
            throw new InvalidOperationException(
                $"the scorer gave no usable score for any of the {samples.Count} responses of iteration {Iteration + 1} " +
                $"({(failure is null ? "every score was NaN or infinite" : "it threw: " + failure.Message)}); check the reward function or model.", failure);
        return (scored, samples.Count - scored.Count);
    }

    private PpoProgress Update(List<RolloutSample> samples)
    {
        var (entropy, meanKl) = Evaluate(samples);
        double beta = _kl.Value;
        Advantages(samples, beta);

        int minibatch = Options.MinibatchSize;
        double policySum = 0, valueSum = 0, clipSum = 0, valueClipSum = 0, approxSum = 0, ptxSum = 0;
        int updates = 0, ptxCount = 0;
        var order = Enumerable.Range(0, samples.Count).ToArray();
        for (int epoch = 0; epoch < Options.EpochsPerIteration; epoch++)
        {
            Shuffle(order, CounterRng.Hash(Options.Seed ^ ShuffleStream, (ulong)(Iteration * Options.EpochsPerIteration + epoch)));
            for (int start = 0; start < order.Length; start += minibatch)
            {
                var batch = order.Skip(start).Take(minibatch).Select(i => samples[i]).ToArray();
                var step = Step(batch);
                updates++;
                policySum += step.Policy;
                valueSum += step.Value;
                clipSum += step.ClipFraction;
                valueClipSum += step.ValueClipFraction;
                approxSum += step.ApproxKl;
                if (step.Ptx is { } ptx)
                {
                    ptxSum += ptx;
                    ptxCount++;
                }
            }
        }

        _kl.Update(meanKl, samples.Count);
        return new PpoProgress
        {
            MeanScore = samples.Average(s => (double)s.Score),
            MeanKl = meanKl,
            KlCoefficient = beta,
            Entropy = entropy,
            ClipFraction = clipSum / updates,
            ValueClipFraction = valueClipSum / updates,
            PolicyLoss = policySum / updates,
            ValueLoss = valueSum / updates,
            ApproxKl = approxSum / updates,
            MeanResponseLength = samples.Average(s => (double)s.Length),
            PtxLoss = ptxCount == 0 ? double.NaN : ptxSum / ptxCount,
            SkippedUpdates = _skippedUpdates,
        };
    }

    // The rollout policy's log-probabilities, values and entropy and the reference's log-probabilities, a minibatch at a
    // time and without gradients; returns the mean entropy and the mean per-response KL to the reference.
    private (double Entropy, double Kl) Evaluate(List<RolloutSample> samples)
    {
        double entropy = 0, kl = 0;
        int tokens = 0;
        _tape.IsTraining = false;
        foreach (var batch in samples.Chunk(Options.MinibatchSize))
        {
            _tape.Reset();
            using (_tape.NoGrad())
            {
                var policy = ResponsePass.Run(_tape, Model, Adapter, ValueHead, batch, Options.Temperature);
                Scatter(batch, policy.LogProbs.ToArray(), s => s.LogProbs);
                Scatter(batch, policy.Values!.ToArray(), s => s.Values);
                entropy += ResponsePass.MeanEntropy(policy.Logits) * policy.LogProbs.Length;
                tokens += policy.LogProbs.Length;
                var reference = ResponsePass.Run(_tape, _reference ?? Model, adapter: null, valueHead: null, batch, Options.Temperature);
                Scatter(batch, reference.LogProbs.ToArray(), s => s.ReferenceLogProbs);
            }
        }
        _tape.Reset();
        foreach (var s in samples)
            for (int t = 0; t < s.Length; t++) kl += s.LogProbs[t] - s.ReferenceLogProbs[t];
        return (entropy / tokens, kl / samples.Count);
    }

    private static void Scatter(IReadOnlyList<RolloutSample> batch, float[] values, Func<RolloutSample, float[]> target)
    {
        int k = 0;
        foreach (var s in batch)
        {
            values.AsSpan(k, s.Length).CopyTo(target(s));
            k += s.Length;
        }
    }

    // Per-token rewards (KL penalty + score), GAE and whitening over the iteration's tokens, on padded (rows, T) arrays.
    private void Advantages(List<RolloutSample> samples, double beta)
    {
        int rows = samples.Count, length = samples.Max(s => s.Length), n = rows * length;
        float[] logProbs = new float[n], reference = new float[n], values = new float[n], mask = new float[n], scores = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var s = samples[r];
            scores[r] = s.Score;
            s.LogProbs.CopyTo(logProbs, r * length);
            s.ReferenceLogProbs.CopyTo(reference, r * length);
            s.Values.CopyTo(values, r * length);
            mask.AsSpan(r * length, s.Length).Fill(1f);
        }
        float[] rewards = new float[n], advantages = new float[n], returns = new float[n];
        KlPenalty.Rewards(logProbs, reference, mask, scores, rows, length, beta, rewards);
        Gae.Compute(rewards, values, mask, rows, length, Options.Gamma, Options.Lambda, advantages, returns);
        if (Options.WhitenAdvantages) Gae.Whiten(advantages, mask);
        for (int r = 0; r < rows; r++)
        {
            advantages.AsSpan(r * length, samples[r].Length).CopyTo(samples[r].Advantages);
            returns.AsSpan(r * length, samples[r].Length).CopyTo(samples[r].Returns);
        }
    }

    private readonly record struct StepResult(double Policy, double Value, double ClipFraction, double ValueClipFraction, double ApproxKl, double? Ptx);

    private StepResult Step(RolloutSample[] batch)
    {
        float[] Gather(Func<RolloutSample, float[]> field) => [.. batch.SelectMany(field)];
        float[] oldLogProbs = Gather(s => s.LogProbs), oldValues = Gather(s => s.Values), advantages = Gather(s => s.Advantages), returns = Gather(s => s.Returns);

        _tape.Reset();
        _tape.IsTraining = false;                                        // no dropout: PPO's ratios compare the same function
        Optimizer.ZeroGradients();
        var pass = ResponsePass.Run(_tape, Model, Adapter, ValueHead, batch, Options.Temperature);
        var policyLoss = PpoLoss.Policy(_tape, pass.LogProbs, oldLogProbs, advantages, Options.ClipRange);
        var valueLoss = PpoLoss.Value(_tape, pass.Values!, oldValues, returns, Options.ValueClipRange);
        var loss = _tape.Add(policyLoss, _tape.Scale(valueLoss, Options.ValueLossCoefficient));
        Tensor? ptxLoss = null;
        if (_ptx is not null)
        {
            _ptx.Next(_ptxBatch!);
            ptxLoss = Model.Loss(_tape, _ptxBatch!.Inputs, _ptxBatch.Targets, _ptxBatch.BatchSize, _ptxBatch.SequenceLength, new ForwardOptions { Adapter = Adapter });
            loss = _tape.Add(loss, _tape.Scale(ptxLoss, Options.PtxCoefficient));
        }
        // Read before the backward pass, which may reuse forward buffers for gradients.
        float total = loss.ToArray()[0];
        var (clip, approxKl, valueClip) = PpoLoss.Statistics(pass.LogProbs.ToArray(), oldLogProbs, advantages, pass.Values!.ToArray(), oldValues, returns,
            Options.ClipRange, Options.ValueClipRange);
        var result = new StepResult(policyLoss.ToArray()[0], valueLoss.ToArray()[0], clip, valueClip, approxKl, ptxLoss?.ToArray()[0]);
        _tape.Backward(loss);
        _tape.Reset();

        float norm = (float)Optimizer.GradientNorm();
        if (!float.IsFinite(total) || !float.IsFinite(norm))
        {
            _skippedUpdates++;
            return result;
        }
        float limit = Options.GradientClip;
        Optimizer.Step(_schedule.At(Optimizer.StepCount), limit > 0 && norm > limit ? limit / norm : 1f);
        return result;
    }
}
