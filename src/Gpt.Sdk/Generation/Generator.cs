using System.Runtime.CompilerServices;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Generation;

/// <summary>
/// Generates text with a model and its tokenizer: KV-cached decoding, the sampling pipeline of
/// <see cref="GenerationOptions"/>, stop sequences, streaming, log-probabilities, several completions
/// per prompt, batches of prompts, fill-in-the-middle, edits and chat. Thread-safe and meant to be shared:
/// the model is only read, and each request gets its own cache, tape and sampler state, so concurrent
/// requests run concurrently, each under its own LoRA adapter (<see cref="GenerationOptions.Adapter"/>) if it
/// names one. Cancelling a request ends it within one decoding step, with <see cref="FinishReason.Cancelled"/>
/// and the text so far, and frees its state.
/// <para>Concurrent requests share the work through continuous batching (<see cref="BatchingOptions"/>, on by default):
/// each joins one shared decoding batch at the next step and leaves it when it ends, with its own options, seed, stop
/// sequences, adapter, log-probabilities and cancellation. A request's tokens are those it gets alone, up to rounding:
/// the CPU matrix product sums a row in an order that depends on how many rows the step has (one, two to eight, more),
/// so logits can differ in the last bits between a step of one row and a step of many, and a greedy choice between two
/// tokens within that rounding, or a seeded draw landing exactly on such a boundary, can differ.</para>
/// </summary>
public sealed class Generator
{
    private readonly HashSet<int> _endTokens = [];
    private readonly GenerationScheduler? _scheduler;

    /// <summary>Creates a generator with continuous batching on its default settings (<see cref="BatchingOptions"/>).</summary>
    /// <param name="model">The model (not disposed by the generator).</param>
    /// <param name="tokenizer">Its tokenizer; its ids must fit the model's vocabulary.</param>
    /// <param name="chatTemplate">How chat turns are laid out; by default <see cref="ChatTemplate.For"/> the tokenizer.</param>
    public Generator(GptModel model, ITokenizer tokenizer, ChatTemplate? chatTemplate = null)
        : this(model, tokenizer, chatTemplate, new BatchingOptions())
    {
    }

    /// <summary>Creates a generator that shares the model between concurrent requests as <paramref name="batching"/> says.</summary>
    /// <param name="model">The model (not disposed by the generator).</param>
    /// <param name="tokenizer">Its tokenizer; its ids must fit the model's vocabulary.</param>
    /// <param name="chatTemplate">How chat turns are laid out; null for <see cref="ChatTemplate.For"/> the tokenizer.</param>
    /// <param name="batching">Continuous batching on or off, and its limits; validated.</param>
    public Generator(GptModel model, ITokenizer tokenizer, ChatTemplate? chatTemplate, BatchingOptions batching)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Batching = (batching ?? throw new ArgumentNullException(nameof(batching))).Validate();
        if (Batching.Enabled) _scheduler = new GenerationScheduler(this, Batching);
        ChatTemplate = chatTemplate ?? ChatTemplate.For(tokenizer, model.Config.VocabularySize);
        if (tokenizer is BpeTokenizer bpe)
            foreach (string end in (string[])[WellKnownSpecialTokens.EndOfText, WellKnownSpecialTokens.MessageEnd])
                if (bpe.SpecialTokens.TryGetValue(end, out int id) && id < model.Config.VocabularySize) _endTokens.Add(id);
    }

    /// <summary>The model.</summary>
    public GptModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>How concurrent requests share the model: continuous batching and its limits.</summary>
    public BatchingOptions Batching { get; }

    /// <summary>Requests waiting for room in the shared decoding batch (0 with batching off).</summary>
    public int QueuedRequests => _scheduler?.Queued ?? 0;

    /// <summary>What the shared decoding batch has done since the generator was made (all zero with batching off, and for
    /// requests too large for the batch, which run on their own): decoding steps, rows decoded, the most rows in one pass.</summary>
    public BatchingStatistics BatchingStatistics => _scheduler?.Statistics ?? default;

    /// <summary>The chat layout used by <see cref="ChatAsync"/> and <see cref="StreamChatAsync"/>.</summary>
    public ChatTemplate ChatTemplate { get; }

    /// <summary>The ids that end a completion with <see cref="FinishReason.EndOfText"/>: <c>&lt;|endoftext|&gt;</c> and
    /// <c>&lt;|im_end|&gt;</c>, those the tokenizer has.</summary>
    public IReadOnlyCollection<int> EndTokens => _endTokens;

    /// <summary>Streams the completions of <paramref name="prompt"/> as they are generated.</summary>
    /// <param name="prompt">The text to continue; special-token spellings in it stay text. Empty: the model starts
    /// from <c>&lt;|endoftext|&gt;</c> when the tokenizer has it.</param>
    /// <param name="options">Generation options (defaults when null); best-of is refused here (it picks at the end).</param>
    /// <param name="cancellationToken">Ends the stream within one step, each completion with <see cref="FinishReason.Cancelled"/>.</param>
    public IAsyncEnumerable<GenerationChunk> StreamAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        StreamAsync(EncodePrompt(prompt), options, cancellationToken);

    /// <summary>Streams the completions of a prompt given as token ids (templates with special tokens).</summary>
    /// <param name="promptTokens">The prompt's ids, at least one, fewer than the context length.</param>
    /// <param name="options">Generation options (defaults when null); best-of is refused here.</param>
    /// <param name="cancellationToken">Ends the stream within one step.</param>
    public IAsyncEnumerable<GenerationChunk> StreamAsync(IReadOnlyList<int> promptTokens, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var request = Check(options);
        if (request.Options.BestOf > request.Options.N)
            throw new ArgumentException($"BestOf ({request.Options.BestOf}) picks the best completions once all are finished, so it cannot stream; call GenerateAsync.", nameof(options));
        int[] prompt = CheckPrompt(promptTokens, nameof(promptTokens));
        return Stream(prompt, request, cancellationToken);
    }

    /// <summary>Generates the completions of <paramref name="prompt"/>.</summary>
    /// <param name="prompt">The text to continue (see <see cref="StreamAsync(string, GenerationOptions?, CancellationToken)"/>).</param>
    /// <param name="options">Generation options (defaults when null).</param>
    /// <param name="cancellationToken">Ends generation within one step; the result then has <see cref="FinishReason.Cancelled"/>.</param>
    public Task<GenerationResult> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        GenerateAsync(EncodePrompt(prompt), options, cancellationToken);

    /// <summary>Generates the completions of a prompt given as token ids.</summary>
    /// <param name="promptTokens">The prompt's ids.</param>
    /// <param name="options">Generation options (defaults when null).</param>
    /// <param name="cancellationToken">Ends generation within one step.</param>
    public async Task<GenerationResult> GenerateAsync(IReadOnlyList<int> promptTokens, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var request = Check(options);
        var results = await GenerateBatchAsync([CheckPrompt(promptTokens, nameof(promptTokens))], request, cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Generates the completions of several prompts together: every decoding step runs all their
    /// unfinished completions as one batch, which costs little more than one (reading the weights dominates).</summary>
    /// <param name="prompts">The prompts, of any lengths.</param>
    /// <param name="options">Generation options, the same for every prompt (defaults when null).</param>
    /// <param name="cancellationToken">Ends generation within one step.</param>
    /// <returns>One result per prompt, in order.</returns>
    public Task<IReadOnlyList<GenerationResult>> GenerateBatchAsync(IReadOnlyList<string> prompts, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("no prompts were given.", nameof(prompts));
        var request = Check(options);
        return GenerateBatchAsync(prompts.Select(p => CheckPrompt(EncodePrompt(p), nameof(prompts))).ToArray(), request, cancellationToken);
    }

    /// <summary>Fills the gap between <paramref name="prefix"/> and <paramref name="suffix"/> (fill-in-the-middle):
    /// the completion is the middle, ended by <c>&lt;|endoftext|&gt;</c>. Needs a tokenizer and model with the FIM tokens.</summary>
    /// <param name="prefix">Text before the gap.</param>
    /// <param name="suffix">Text after the gap.</param>
    /// <param name="options">Generation options (defaults when null).</param>
    /// <param name="cancellationToken">Ends generation within one step.</param>
    public Task<GenerationResult> InsertAsync(string prefix, string suffix, GenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (Tokenizer is not BpeTokenizer bpe)
            throw new InvalidOperationException("fill-in-the-middle needs a BPE tokenizer with the FIM special tokens.");
        return GenerateAsync(FillInTheMiddle.Prompt(bpe, prefix, suffix), options, cancellationToken);
    }

    /// <summary>Rewrites <paramref name="input"/> as <paramref name="instruction"/> says (the Codex edit task): the prompt is
    /// <see cref="EditTemplate.Prompt"/>, the layout fine-tuning on edits uses, and the completion is the edited text,
    /// ended by <c>&lt;|endoftext|&gt;</c> when the tokenizer has it (or by a stop sequence or the length limit).</summary>
    /// <param name="input">The text to edit; empty to write from scratch.</param>
    /// <param name="instruction">What to do to it.</param>
    /// <param name="options">Generation options (defaults when null), e.g. the adapter fine-tuned on edits.</param>
    /// <param name="cancellationToken">Ends generation within one step.</param>
    /// <returns>The edited text as the completion(s).</returns>
    public Task<GenerationResult> EditAsync(string input, string instruction, GenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        GenerateAsync(EditTemplate.Prompt(input, instruction), options, cancellationToken);

    /// <summary>Generates the assistant's next reply to a conversation, laid out by <see cref="ChatTemplate"/>
    /// (its stop sequences are added to the options').</summary>
    /// <param name="turns">The conversation so far.</param>
    /// <param name="options">Generation options (defaults when null).</param>
    /// <param name="cancellationToken">Ends generation within one step.</param>
    public Task<GenerationResult> ChatAsync(IReadOnlyList<ChatTurn> turns, GenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        GenerateAsync(ChatTemplate.Encode(Tokenizer, turns).Tokens, WithChatStops(options), cancellationToken);

    /// <summary>Streams the assistant's next reply to a conversation.</summary>
    /// <param name="turns">The conversation so far.</param>
    /// <param name="options">Generation options (defaults when null).</param>
    /// <param name="cancellationToken">Ends the stream within one step.</param>
    public IAsyncEnumerable<GenerationChunk> StreamChatAsync(IReadOnlyList<ChatTurn> turns, GenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        StreamEncodedChatAsync(ChatTemplate.Encode(Tokenizer, turns).Tokens, options, cancellationToken);

    /// <summary>Streams the reply to a conversation the caller has already laid out with <see cref="ChatTemplate"/>, for callers
    /// that need the prompt's tokens too (the chat client reports their count as usage) and should not encode twice.</summary>
    internal IAsyncEnumerable<GenerationChunk> StreamEncodedChatAsync(int[] encodedConversation, GenerationOptions? options, CancellationToken cancellationToken) =>
        StreamAsync(encodedConversation, WithChatStops(options), cancellationToken);

    /// <summary>Runs a prompt prefix through the base model (no adapter) once and keeps its keys and values, for
    /// requests that start with it and use no adapter (<see cref="GenerationOptions.PromptCache"/>).</summary>
    /// <param name="prefix">The shared beginning of later prompts.</param>
    /// <param name="cancellationToken">Checked before the work starts.</param>
    public PromptCache CreatePromptCache(string prefix, CancellationToken cancellationToken = default) =>
        CreatePromptCache(prefix, adapter: null, cancellationToken);

    /// <summary>Runs a prompt prefix through the model under a LoRA adapter once and keeps its keys and values, for
    /// requests that start with it and name the same <see cref="GenerationOptions.Adapter"/>; requests under another
    /// adapter (or none) are refused the cache.</summary>
    /// <param name="prefix">The shared beginning of later prompts.</param>
    /// <param name="adapter">The name of an adapter loaded on the model, or null for the base model.</param>
    /// <param name="cancellationToken">Checked before the work starts.</param>
    public PromptCache CreatePromptCache(string prefix, string? adapter, CancellationToken cancellationToken = default) =>
        CreatePromptCache(EncodePrompt(prefix), null, adapter, cancellationToken);

    /// <summary>Runs a prompt prefix given as token ids through the base model once and keeps its keys and values;
    /// positions it shares with <paramref name="startFrom"/> (e.g. the previous turn of a chat) are copied from there.</summary>
    /// <param name="prefixTokens">The prefix's ids.</param>
    /// <param name="startFrom">An earlier cache of this model, built without an adapter, whose leading tokens may match; or null.</param>
    /// <param name="cancellationToken">Checked before the work starts.</param>
    public PromptCache CreatePromptCache(IReadOnlyList<int> prefixTokens, PromptCache? startFrom = null, CancellationToken cancellationToken = default) =>
        CreatePromptCache(prefixTokens, startFrom, adapter: null, cancellationToken);

    /// <summary>Runs a prompt prefix given as token ids through the model under a LoRA adapter once and keeps its keys
    /// and values; positions it shares with <paramref name="startFrom"/> are copied from there.</summary>
    /// <param name="prefixTokens">The prefix's ids.</param>
    /// <param name="startFrom">An earlier cache of this model built under the same adapter, whose leading tokens may match; or null.</param>
    /// <param name="adapter">The name of an adapter loaded on the model, or null for the base model.</param>
    /// <param name="cancellationToken">Checked before the work starts.</param>
    public PromptCache CreatePromptCache(IReadOnlyList<int> prefixTokens, PromptCache? startFrom, string? adapter, CancellationToken cancellationToken = default)
    {
        int[] tokens = CheckPrompt(prefixTokens, nameof(prefixTokens));
        if (adapter is not null && string.IsNullOrWhiteSpace(adapter))
            throw new ArgumentException("the adapter name is blank; name a LoRA adapter loaded on the model, or pass null for the base model.", nameof(adapter));
        var lora = ResolveAdapter(adapter, nameof(adapter));
        if (startFrom is not null)
        {
            if (startFrom.Model != Model)
                throw new ArgumentException("the prompt cache was made by another model; create it with this generator.", nameof(startFrom));
            startFrom.CheckAdapter(lora, nameof(startFrom));
        }
        cancellationToken.ThrowIfCancellationRequested();
        var cache = new KvCache(Model.Config, Model.Device, 1, tokens.Length);
        try
        {
            int reused = 0;
            if (startFrom is not null)
            {
                reused = Math.Min(startFrom.CommonPrefixLength(tokens), tokens.Length - 1);
                cache.CopyPrefix(startFrom.Cache, 0, 0, reused);
            }
            using var tape = new Tape(Model.Device);
            Model.ForwardCached(tape, cache, tokens.AsSpan(reused), adapter: lora);
            return new PromptCache(Model, lora, tokens, cache);
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    internal bool IsEndToken(int id) => _endTokens.Contains(id);

    /// <summary>Generates a batch whose prompts each sample from a seed of their own (<see cref="GenerationOptions.Seed"/>
    /// is ignored), so equal prompts in one batch get independent completions, as PPO's rollouts need; a prompt with a
    /// given seed completes as it would alone with that seed.</summary>
    internal Task<IReadOnlyList<GenerationResult>> GenerateBatchAsync(IReadOnlyList<int[]> prompts, IReadOnlyList<ulong> seeds, GenerationOptions options,
        CancellationToken cancellationToken)
    {
        if (seeds.Count != prompts.Count) throw new ArgumentException($"{seeds.Count} seeds for {prompts.Count} prompts.", nameof(seeds));
        var request = Check(options);
        return GenerateBatchAsync([.. prompts.Select(p => CheckPrompt(p, nameof(prompts)))], request, cancellationToken, seeds);
    }

    private async Task<IReadOnlyList<GenerationResult>> GenerateBatchAsync(int[][] prompts, Request request, CancellationToken cancellationToken,
        IReadOnlyList<ulong>? seeds = null)
    {
        var run = new GenerationRun(this, prompts, request.Options, request.Adapter, seeds);
        await foreach (var _ in Execute(run, cancellationToken).ConfigureAwait(false)) { }
        return run.Results();
    }

    // The request's state is made when enumeration starts and freed when it ends, however it ends.
    private async IAsyncEnumerable<GenerationChunk> Stream(int[] prompt, Request request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var run = new GenerationRun(this, [prompt], request.Options, request.Adapter);
        await foreach (var chunk in Execute(run, cancellationToken).ConfigureAwait(false)) yield return chunk;
    }

    // Into the shared batch when batching is on and the request's rows fit it; otherwise in a batch of its own.
    private IAsyncEnumerable<GenerationChunk> Execute(GenerationRun run, CancellationToken cancellationToken) =>
        _scheduler is not null && run.RowCount <= Batching.MaxBatchSize ? _scheduler.Run(run, cancellationToken) : RunAlone(run, cancellationToken);

    // A batch of the request's own rows, sized to it, its prompts prefilled whole in the first step. Each step runs on the
    // thread pool, so a caller's thread (a UI, a request handler) never computes; cancellation is looked at between steps.
    private async IAsyncEnumerable<GenerationChunk> RunAlone(GenerationRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int capacity = (int)Math.Min(Model.Config.ContextLength, (long)run.LongestPrompt + run.Options.MaxTokens);
        using var batch = new DecodingBatch(Model, run.RowCount, capacity, prefillBudget: int.MaxValue);
        if (!cancellationToken.IsCancellationRequested) batch.TryAdmit(run);
        while (!run.Done)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                foreach (var chunk in run.Cancel()) yield return chunk;
                yield break;
            }
            var step = await Task.Run(batch.Step, CancellationToken.None).ConfigureAwait(false);
            foreach (var failure in step.Failures.Values) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            foreach (var (_, chunk) in step.Chunks) yield return chunk;
        }
    }

    private GenerationOptions WithChatStops(GenerationOptions? options)
    {
        options ??= new GenerationOptions();
        if (ChatTemplate.StopSequences.Count == 0) return options;
        return options with { StopSequences = [.. options.StopSequences ?? [], .. ChatTemplate.StopSequences] };
    }

    // Everything about the options is checked at the door, the adapter looked up once: the request then runs
    // under that instance even if the model's adapters change while it is in flight.
    private Request Check(GenerationOptions? options)
    {
        options = (options ?? new GenerationOptions()).Validate();
        var adapter = ResolveAdapter(options.Adapter, nameof(GenerationOptions.Adapter));
        if (options.PromptCache is { } cache)
        {
            if (cache.Model != Model) throw new ArgumentException("the prompt cache was made by another model; create it with this generator.", nameof(options));
            cache.CheckAdapter(adapter, nameof(GenerationOptions.PromptCache));
        }
        return new Request(options, adapter);
    }

    private LoraAdapter? ResolveAdapter(string? name, string paramName)
    {
        if (name is null) return null;
        var loaded = Model.Adapters;
        if (loaded.TryGetValue(name, out var adapter)) return adapter;
        throw new ArgumentException(loaded.Count == 0
            ? $"adapter '{name}' is not loaded: the generator's model has no LoRA adapters. Add or load it on the model first, or leave the adapter null for the base model."
            : $"adapter '{name}' is not loaded on the generator's model; loaded adapters: {string.Join(", ", loaded.Keys.Order(StringComparer.Ordinal).Select(n => $"'{n}'"))}. " +
              "Name one of those, or leave the adapter null for the base model.", paramName);
    }

    private int[] EncodePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Length > 0) return Tokenizer.Encode(prompt);
        if (Tokenizer is BpeTokenizer bpe && bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.EndOfText, out int eot)) return [eot];
        throw new ArgumentException("the prompt is empty and the tokenizer has no <|endoftext|> to start from; give some text.", nameof(prompt));
    }

    private int[] CheckPrompt(IReadOnlyList<int> prompt, string name)
    {
        ArgumentNullException.ThrowIfNull(prompt, name);
        int context = Model.Config.ContextLength, vocab = Model.Config.VocabularySize;
        if (prompt.Count == 0) throw new ArgumentException("the prompt has no tokens; give at least one.", name);
        if (prompt.Count >= context)
            throw new ArgumentException(
                $"the prompt has {prompt.Count} tokens but the model's context holds {context}, leaving no room to generate; shorten the prompt to fewer than {context} tokens.", name);
        foreach (int id in prompt)
            if ((uint)id >= (uint)vocab)
                throw new ArgumentException(
                    $"prompt token {id} is outside the model's vocabulary of {vocab} (a special token the model was not trained with?).", name);
        return prompt as int[] ?? [.. prompt];
    }

    /// <summary>A request's checked options and the adapter they name, resolved on this generator's model.</summary>
    private readonly record struct Request(GenerationOptions Options, LoraAdapter? Adapter);
}
