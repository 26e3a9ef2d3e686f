using System.Diagnostics;
using System.Runtime.CompilerServices;
using Gpt.Sdk.Generation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gpt.Sdk.Hosting;

/// <summary>
/// An <see cref="IChatClient"/> over a local GPT model: messages are laid out by the model's
/// <see cref="ChatTemplate"/>, <see cref="ChatOptions"/> map onto the sampler (Temperature, TopP, TopK,
/// MaxOutputTokens, StopSequences, Seed, FrequencyPenalty, PresencePenalty; min-p and the repetition penalty
/// through <see cref="GptChatOptions"/> keys), and a streamed reply ends with an update that carries the
/// finish reason and the token usage. Thread-safe: requests share the model's weights but each has its own
/// cache and sampler, so concurrent requests run concurrently; cancelling one stops it within one decoding
/// step, frees its state and throws <see cref="OperationCanceledException"/>.
/// </summary>
/// <remarks>
/// <para><b>LoRA adapters per request.</b> Every adapter loaded on the model (<see cref="GptBuilder.WithLoraAdapter(string, Func{Nn.GptModel, Nn.Lora.LoraAdapter})"/>,
/// or added by the app to a model it serves) answers under its own name, on the one shared base model; requests with
/// different adapters run concurrently without affecting each other. A request chooses, in this order of precedence:</para>
/// <list type="number">
/// <item><c>AdditionalProperties["adapter"]</c> (<see cref="GptChatOptions.Adapter"/>): an adapter's name, or null for the
/// base model. This provider-specific key wins; <see cref="ChatOptions.ModelId"/> may still be set beside it to the model's
/// id (the model the adapter runs on) or to the same adapter, but a ModelId naming a different adapter is refused as
/// contradictory.</item>
/// <item><see cref="ChatOptions.ModelId"/>: the model's id (<see cref="ChatClientMetadata.DefaultModelId"/>) selects the
/// base model, an adapter's name selects that adapter; any other id is refused with the list of valid ids.</item>
/// <item>Neither: <see cref="GenerationOptions.Adapter"/> of <see cref="Defaults"/> (the base model unless set).</item>
/// </list>
/// <para><see cref="ChatResponse.ModelId"/> (and each streamed update's) reports what answered: the adapter's name, or
/// the model's id for the base model.</para>
/// </remarks>
public sealed class GptChatClient : IChatClient
{
    /// <summary>The <see cref="ChatClientMetadata.ProviderName"/> of every Gpt.Sdk chat client.</summary>
    public const string ProviderName = "gpt-sdk";

    private readonly ILogger _logger;

    /// <summary>Creates a chat client (usually done for you by <c>services.AddGpt(...)</c>).</summary>
    /// <param name="generator">The engine; shared, not disposed by the client.</param>
    /// <param name="modelId">The model's name in metadata and responses (default <c>"gpt"</c>).</param>
    /// <param name="defaults">Options every request starts from (the engine's defaults when null); one completion, no best-of.
    /// Its <see cref="GenerationOptions.Adapter"/>, if set, must be loaded on the generator's model.</param>
    /// <param name="logger">Receives request events (none when null).</param>
    public GptChatClient(Generator generator, string? modelId = null, GenerationOptions? defaults = null, ILogger<GptChatClient>? logger = null)
    {
        Generator = generator ?? throw new ArgumentNullException(nameof(generator));
        if (modelId is not null && string.IsNullOrWhiteSpace(modelId))
            throw new ArgumentException("the model id is blank; pass null for the default or give a name.", nameof(modelId));
        Defaults = defaults ?? new GenerationOptions();
        string[] failures = [.. GptOptionsValidator.DefaultsFailures(Defaults)];
        if (failures.Length > 0) throw new ArgumentException("the default options cannot serve chat requests: " + string.Join(" ", failures), nameof(defaults));
        modelId ??= "gpt";
        var adapters = generator.Model.Adapters;
        // The model's id selects the base model in ChatOptions.ModelId, so an adapter of that name could never be chosen.
        if (adapters.ContainsKey(modelId))
            throw new ArgumentException(
                $"the model id '{modelId}' is also the name of one of its LoRA adapters, so ChatOptions.ModelId could not tell the base model from the adapter; " +
                "give the model another id (GptBuilder.WithModelId) or the adapter another name.", nameof(modelId));
        if (Defaults.Adapter is { } adapter && !adapters.ContainsKey(adapter))
            throw new ArgumentException(
                $"the default options name adapter '{adapter}', which is not loaded on the model; " +
                (adapters.Count == 0 ? "the model has no adapters." : $"loaded adapters: {string.Join(", ", adapters.Keys.Order(StringComparer.Ordinal).Select(n => $"'{n}'"))}.") +
                " Load it first (GptBuilder.WithLoraAdapter) or leave Defaults.Adapter unset for the base model.", nameof(defaults));
        Metadata = new ChatClientMetadata(ProviderName, providerUri: null, defaultModelId: modelId);
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The engine that generates the replies (also returned by <see cref="GetService"/>).</summary>
    public Generator Generator { get; }

    /// <summary>What the client reports about itself: provider <see cref="ProviderName"/> and the model's id (which, as
    /// <see cref="ChatOptions.ModelId"/>, selects the base model).</summary>
    public ChatClientMetadata Metadata { get; }

    /// <summary>The options every request starts from.</summary>
    public GenerationOptions Defaults { get; }

    private string ModelId => Metadata.DefaultModelId!;

    /// <summary>Generates the assistant's reply to <paramref name="messages"/>.</summary>
    /// <param name="messages">The conversation: system, user and assistant text messages.</param>
    /// <param name="options">Sampling and length settings and the adapter for this request (see the class summary); null for the defaults.</param>
    /// <param name="cancellationToken">Stops generation within one decoding step and throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>One assistant message, with finish reason, usage, the model id that answered (an adapter's name, or the
    /// model's id), and the engine's <see cref="GenerationResult"/> as raw representation.</returns>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var (turns, generation) = Prepare(messages, options);
        string id = NewResponseId();
        var created = DateTimeOffset.UtcNow;
        var elapsed = Stopwatch.StartNew();
        GptLog.RequestStarted(_logger, id, streaming: false);
        GenerationResult result;
        try
        {
            result = await Generator.ChatAsync(turns, generation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsFailure(e))
        {
            GptLog.RequestFailed(_logger, e, id);
            throw;
        }
        if (result.FinishReason == FinishReason.Cancelled)
        {
            GptLog.RequestCancelled(_logger, id, result.Usage.CompletionTokens);
            throw new OperationCanceledException("the chat request was cancelled.", null, cancellationToken);
        }
        GptLog.RequestFinished(_logger, id, result.FinishReason.ToString(), result.Usage.PromptTokens, result.Usage.CompletionTokens, elapsed.ElapsedMilliseconds);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text) { MessageId = id, CreatedAt = created })
        {
            ResponseId = id,
            ModelId = AnsweredBy(generation),
            CreatedAt = created,
            FinishReason = ToChatFinishReason(result.FinishReason),
            Usage = ToUsageDetails(result.Usage.PromptTokens, result.Usage.CompletionTokens),
            RawRepresentation = result,
        };
    }

    /// <summary>Streams the assistant's reply to <paramref name="messages"/>: one update per decoding step (its text
    /// may be empty while a character or a possible stop sequence is held back), the last one with the finish
    /// reason and a <see cref="UsageContent"/>. Concatenated, the updates' text equals the reply
    /// <see cref="GetResponseAsync"/> gives for the same seed.</summary>
    /// <param name="messages">The conversation: system, user and assistant text messages.</param>
    /// <param name="options">Sampling and length settings and the adapter for this request; null for the defaults.</param>
    /// <param name="cancellationToken">Stops generation within one decoding step and throws <see cref="OperationCanceledException"/>.</param>
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var (turns, generation) = Prepare(messages, options);
        return Stream(turns, generation, cancellationToken);
    }

    /// <summary>Returns, for a null <paramref name="serviceKey"/>, the <see cref="ChatClientMetadata"/>, this client,
    /// or what it wraps: the <see cref="Generation.Generator"/>, its <see cref="Nn.GptModel"/> or its tokenizer;
    /// null for any other type and for any non-null key (this client holds no keyed services).</summary>
    /// <param name="serviceType">The type asked for.</param>
    /// <param name="serviceKey">Must be null for a result.</param>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        foreach (object inner in (object[])[Generator, Generator.Model, Generator.Tokenizer])
            if (serviceType.IsInstanceOfType(inner)) return inner;
        return null;
    }

    /// <summary>Does nothing: the generator and its model belong to whoever created them (with <c>AddGpt</c>, the container).</summary>
    public void Dispose() { }

    private (List<ChatTurn> Turns, GenerationOptions Options) Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var generation = ChatOptionsMapping.ToGenerationOptions(options, Defaults, this);
        return (ChatMessageMapping.ToTurns(messages, options?.Instructions), generation);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> Stream(List<ChatTurn> turns, GenerationOptions generation,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string id = NewResponseId(), answeredBy = AnsweredBy(generation);
        var created = DateTimeOffset.UtcNow;
        var elapsed = Stopwatch.StartNew();
        GptLog.RequestStarted(_logger, id, streaming: true);
        // The engine counts the prompt only in a finished result, so a stream lays the conversation out here, once, and
        // reports usage from the very tokens it runs.
        int[] prompt = Generator.ChatTemplate.Encode(Generator.Tokenizer, turns).Tokens;
        int promptTokens = prompt.Length, completionTokens = 0;
        var chunks = Generator.StreamEncodedChatAsync(prompt, generation, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (chunks.ConfigureAwait(false))
        {
            while (true)
            {
                GenerationChunk chunk;
                try
                {
                    if (!await chunks.MoveNextAsync().ConfigureAwait(false)) yield break;
                    chunk = chunks.Current;
                }
                catch (Exception e) when (IsFailure(e))
                {
                    GptLog.RequestFailed(_logger, e, id);
                    throw;
                }

                completionTokens += chunk.Tokens.Count;
                if (chunk.FinishReason == FinishReason.Cancelled)
                {
                    GptLog.RequestCancelled(_logger, id, completionTokens);
                    throw new OperationCanceledException("the chat request was cancelled.", null, cancellationToken);
                }

                var update = new ChatResponseUpdate(ChatRole.Assistant, chunk.Text.Length > 0 ? [new TextContent(chunk.Text)] : [])
                {
                    ResponseId = id,
                    MessageId = id,
                    ModelId = answeredBy,
                    CreatedAt = created,
                    RawRepresentation = chunk,
                };
                if (chunk.FinishReason is { } reason)
                {
                    update.FinishReason = ToChatFinishReason(reason);
                    update.Contents.Add(new UsageContent(ToUsageDetails(promptTokens, completionTokens)));
                    GptLog.RequestFinished(_logger, id, reason.ToString(), promptTokens, completionTokens, elapsed.ElapsedMilliseconds);
                }
                yield return update;
            }
        }
    }

    // Bad input and cancellation are the caller's business; anything else is worth an error in the log.
    private static bool IsFailure(Exception e) => e is not (OperationCanceledException or ArgumentException or NotSupportedException);

    private string AnsweredBy(GenerationOptions generation) => generation.Adapter ?? ModelId;

    private static string NewResponseId() => "gpt-" + Guid.CreateVersion7().ToString("N");

    // End-of-text and a stop sequence both mean the reply is complete; only the length limit cuts it short.
    private static ChatFinishReason ToChatFinishReason(FinishReason reason) =>
        reason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails ToUsageDetails(int promptTokens, int completionTokens) => new()
    {
        InputTokenCount = promptTokens,
        OutputTokenCount = completionTokens,
        TotalTokenCount = promptTokens + completionTokens,
    };
}
