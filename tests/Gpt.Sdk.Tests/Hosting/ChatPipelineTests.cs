using System.Collections.Concurrent;
using System.Diagnostics;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Gpt.Sdk.Tests.Hosting;

/// <summary><c>AddGpt</c> returns the <see cref="ChatClientBuilder"/> of the chat pipeline, so Microsoft.Extensions.AI's
/// middleware chains on it as after <c>AddChatClient</c>, and <c>GetService</c> reaches through it to the model.</summary>
public sealed class ChatPipelineTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    [Fact]
    public async Task AnAppBuiltLikeChatServiceLogsAndTracesAChatRequest()
    {
        string source = "Gpt.Sdk.Tests." + Guid.NewGuid().ToString("N");
        var spans = new List<Activity>();
        using var tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSource(source).AddInMemoryExporter(spans).Build();
        var logs = new ListLoggerProvider();

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], EnvironmentName = "Test" });
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddGpt(gpt => gpt.FromPretrained(folder.Path).WithDefaults(o => o with { MaxTokens = 6, Seed = 1 }))
            .UseLogging()
            .UseOpenTelemetry(sourceName: source);
        builder.Services.AddSingleton<OneQuestion>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OneQuestion>());
        using (var host = builder.Build())
        {
            var asked = host.Services.GetRequiredService<OneQuestion>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await host.RunAsync(timeout.Token);
            Assert.Null(asked.Error);
            Assert.NotNull(asked.Usage);

            // The trace: one chat span with what OpenTelemetry's GenAI conventions ask of a chat call.
            tracing.ForceFlush();
            var span = Assert.Single(spans);
            Assert.Equal("chat tiny-chat", span.DisplayName);
            Assert.Equal("chat", span.GetTagItem("gen_ai.operation.name"));
            Assert.Equal(GptChatClient.ProviderName, span.GetTagItem("gen_ai.provider.name"));
            Assert.Equal("tiny-chat", span.GetTagItem("gen_ai.request.model"));
            Assert.Equal("tiny-chat", span.GetTagItem("gen_ai.response.model"));
            Assert.Equal((int)asked.Usage.InputTokenCount!, Convert.ToInt32(span.GetTagItem("gen_ai.usage.input_tokens")));
            Assert.Equal(6, Convert.ToInt32(span.GetTagItem("gen_ai.usage.output_tokens")));
            Assert.Equal(ActivityStatusCode.Unset, span.Status);

            // The logs: M.E.AI's middleware around the call, and the client's own events inside the span.
            Assert.Contains(logs.Entries, e => e.Category == typeof(LoggingChatClient).FullName && e.Message == "GetStreamingResponseAsync invoked.");
            Assert.Contains(logs.Entries, e => e.Category == typeof(LoggingChatClient).FullName && e.Message == "GetStreamingResponseAsync completed.");
            var finished = Assert.Single(logs.Entries, e => e.Category == typeof(GptChatClient).FullName && e.EventId == 4);
            Assert.Equal(span.TraceId, finished.TraceId);
        }
    }

    [Fact]
    public async Task GetServiceReachesTheModelTheGeneratorAndTheTokenizerThroughTheMiddleware()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddGpt(gpt => gpt.UseModel(HostingModels.Model, HostingModels.Tokenizer).WithModelId("tiny")).UseLogging().UseOpenTelemetry();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var chat = provider.GetRequiredService<IChatClient>();
        Assert.IsType<LoggingChatClient>(chat);   // the first middleware added is the outermost, as with AddChatClient
        Assert.NotNull(chat.GetService<OpenTelemetryChatClient>());
        Assert.Same(provider.GetRequiredService<GptChatClient>(), chat.GetService<GptChatClient>());
        Assert.Same(provider.GetRequiredService<Generator>(), chat.GetService<Generator>());
        Assert.Same(HostingModels.Model, chat.GetService<GptModel>());
        Assert.Same(HostingModels.Tokenizer, chat.GetService<ITokenizer>());
        Assert.Same(HostingModels.Tokenizer, chat.GetService<CharTokenizer>());
        var metadata = chat.GetService<ChatClientMetadata>()!;
        Assert.Equal((GptChatClient.ProviderName, "tiny"), (metadata.ProviderName, metadata.DefaultModelId));
        Assert.Null(chat.GetService<GptModel>("a key"));   // the client holds no keyed services
        Assert.Null(chat.GetService<BpeTokenizer>());

        var reply = await chat.GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 1, maxTokens: 3));
        Assert.Equal(3, reply.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task EachKeyedRegistrationHasItsOwnPipeline()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddKeyedGpt("logged", gpt => gpt.UseModel(HostingModels.Model, HostingModels.Tokenizer)).UseLogging();
        services.AddKeyedGpt("plain", gpt => gpt.FromPretrained(folder.Path));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var logged = provider.GetRequiredKeyedService<IChatClient>("logged");
        var plain = provider.GetRequiredKeyedService<IChatClient>("plain");
        Assert.IsType<LoggingChatClient>(logged);
        Assert.Same(provider.GetRequiredKeyedService<GptChatClient>("plain"), plain);
        Assert.Same(provider.GetRequiredKeyedService<GptChatClient>("logged"), logged.GetService<GptChatClient>());
        Assert.Same(logged, provider.GetRequiredKeyedService<IChatClient>("logged"));
        Assert.Null(provider.GetService<IChatClient>());
        Assert.Equal(2, (await logged.GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 1, maxTokens: 2))).Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task UseDistributedCacheAnswersARepeatedRequestFromTheCache()
    {
        var cache = new DictionaryCache();
        var services = new ServiceCollection().AddSingleton<IDistributedCache>(cache);
        services.AddGpt(gpt => gpt.UseModel(HostingModels.Model, HostingModels.Tokenizer)).UseDistributedCache();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var chat = provider.GetRequiredService<IChatClient>();
        var first = await chat.GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 1, maxTokens: 5));
        var again = await chat.GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 1, maxTokens: 5));
        Assert.Single(cache.Entries);
        Assert.Equal(first.ResponseId, again.ResponseId);   // a new generation would have a new id
        Assert.Equal(first.Text, again.Text);
        Assert.NotEqual(first.ResponseId, (await chat.GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 2, maxTokens: 5))).ResponseId);
    }

    [Fact]
    public async Task StreamingEncodesThePromptOnceAsAWholeResponseDoes()
    {
        var tokenizer = new EncodeCountingTokenizer(HostingModels.Tokenizer);
        var client = new GptChatClient(new Generator(HostingModels.Model, tokenizer), "tiny");
        var turns = new List<ChatTurn> { new(ChatSpeaker.User, "Hi") };
        client.Generator.ChatTemplate.Encode(tokenizer, turns);
        int perLayout = tokenizer.Reset();

        await client.GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 1, maxTokens: 4));
        Assert.Equal(perLayout, tokenizer.Reset());

        UsageDetails? usage = null;
        await foreach (var update in client.GetStreamingResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 1, maxTokens: 4)))
            usage = update.Contents.OfType<UsageContent>().SingleOrDefault()?.Details ?? usage;
        Assert.Equal(perLayout, tokenizer.Reset());
        Assert.Equal(client.Generator.ChatTemplate.Encode(HostingModels.Tokenizer, turns).Tokens.Length, usage!.InputTokenCount);
    }

    /// <summary>Asks the registered chat client one question, streaming, as samples/ChatService's worker does, then stops the app.</summary>
    private sealed class OneQuestion(IChatClient chat, IHostApplicationLifetime lifetime) : BackgroundService
    {
        public UsageDetails? Usage { get; private set; }

        public Exception? Error { get; private set; }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            try
            {
                await foreach (var update in chat.GetStreamingResponseAsync("Hello!", cancellationToken: stoppingToken))
                    Usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? Usage;
            }
            catch (Exception e)
            {
                Error = e;
            }
            finally
            {
                lifetime.StopApplication();
            }
        }
    }

    private sealed class EncodeCountingTokenizer(ITokenizer inner) : ITokenizer
    {
        private int _encodes;

        public int VocabularySize => inner.VocabularySize;

        public int[] Encode(string text)
        {
            Interlocked.Increment(ref _encodes);
            return inner.Encode(text);
        }

        public string Decode(ReadOnlySpan<int> ids) => inner.Decode(ids);

        /// <summary>The calls to <see cref="Encode"/> since the last reset.</summary>
        public int Reset() => Interlocked.Exchange(ref _encodes, 0);
    }

    /// <summary>An <see cref="IDistributedCache"/> in a dictionary: enough to see what the caching middleware stores.</summary>
    private sealed class DictionaryCache : IDistributedCache
    {
        public ConcurrentDictionary<string, byte[]> Entries { get; } = new();

        public byte[]? Get(string key) => Entries.GetValueOrDefault(key);

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Entries[key] = value;

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            Set(key, value, options);
            return Task.CompletedTask;
        }

        public void Refresh(string key) { }

        public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

        public void Remove(string key) => Entries.TryRemove(key, out _);

        public Task RemoveAsync(string key, CancellationToken token = default)
        {
            Remove(key);
            return Task.CompletedTask;
        }
    }
}

/// <summary>Keeps every log event of every category, with the trace it was written in.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<ProvidedLogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(ListLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue(new ProvidedLogEntry(category, logLevel, eventId.Id, formatter(state, exception), Activity.Current?.TraceId ?? default));
    }
}

internal sealed record ProvidedLogEntry(string Category, LogLevel Level, int EventId, string Message, ActivityTraceId TraceId);
