using System.Text.Json;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gpt.Sdk.Tests.Hosting;

public class AdapterChatTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    // Its own model per test: adapters are added to it, and the shared HostingModels.Model must stay bare.
    private static GptModel NewModel() => new(HostingModels.Config, seed: 11);

    private static ServiceProvider Serve(GptModel model, Action<GptBuilder>? more = null, Action<IServiceCollection>? services = null) =>
        HostingModels.Services(gpt =>
        {
            gpt.UseModel(model, HostingModels.Tokenizer).WithModelId("tiny")
                .WithLoraAdapter("A", m => TinyModels.AddRandomLoraAdapter(m, "A", seed: 4))
                .WithLoraAdapter("B", m => TinyModels.AddRandomLoraAdapter(m, "B", seed: 5));
            more?.Invoke(gpt);
        }, services);

    private static ChatOptions Greedy(int maxTokens = 24, string? modelId = null, object? adapterKey = null, bool withKey = false)
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = maxTokens, ModelId = modelId };
        if (withKey) options.AdditionalProperties = new() { [GptChatOptions.Adapter] = adapterKey };
        return options;
    }

    private static ChatMessage[] Question(int i) => HostingModels.Ask($"Question number {i / 3}: what comes next?");

    [Fact]
    public async Task InterleavedConcurrentChatsUnderTwoAdaptersAndTheBaseEachGiveTheirSoloReply()
    {
        using var model = NewModel();
        using var services = Serve(model);
        var client = services.GetRequiredService<IChatClient>();
        const int requests = 16;
        // By turns: A through ModelId, B through the adapter key, the base model through the model's own id.
        ChatOptions Options(int i) => (i % 3) switch
        {
            0 => Greedy(20 + i, modelId: "A"),
            1 => Greedy(20 + i, adapterKey: "B", withKey: true),
            _ => Greedy(20 + i, modelId: "tiny"),
        };
        string[] answeredBy = ["A", "B", "tiny"];

        var solo = new string[requests];
        for (int i = 0; i < requests; i++)
        {
            var response = await client.GetResponseAsync(Question(i), Options(i));
            Assert.Equal(answeredBy[i % 3], response.ModelId);
            solo[i] = response.Text;
        }
        // Requests 3k .. 3k+2 ask the same question: A, B and the base model answer it differently.
        for (int k = 0; k + 2 < requests; k += 3)
        {
            string a = solo[k][..20], b = solo[k + 1][..20], none = solo[k + 2][..20];
            Assert.NotEqual(a, b);
            Assert.NotEqual(a, none);
            Assert.NotEqual(b, none);
        }

        // All released at once; half stream, half not.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Enumerable.Range(0, requests).Select(i => Task.Run(async () =>
        {
            await start.Task;
            if (i % 2 == 1) return (await client.GetResponseAsync(Question(i), Options(i))).Text;
            var text = new System.Text.StringBuilder();
            await foreach (var update in client.GetStreamingResponseAsync(Question(i), Options(i)))
            {
                Assert.Equal(answeredBy[i % 3], update.ModelId);
                text.Append(update.Text);
            }
            return text.ToString();
        })).ToArray();
        start.SetResult();

        Assert.Equal(solo, await Task.WhenAll(running));
    }

    [Fact]
    public async Task TheAdapterKeyTakesPrecedenceOverModelIdAndTheResponseReportsWhoAnswered()
    {
        using var model = NewModel();
        using var services = Serve(model, gpt => gpt.WithDefaults(o => o with { Adapter = "A" }));
        var client = services.GetRequiredService<IChatClient>();
        var generator = services.GetRequiredService<Generator>();
        var messages = HostingModels.Ask("Hello there");
        async Task<string> Engine(string? adapter) =>
            (await generator.ChatAsync([new ChatTurn(ChatSpeaker.User, "Hello there")], new GenerationOptions { Temperature = 0, MaxTokens = 24, Adapter = adapter })).Text;
        string a = await Engine("A"), b = await Engine("B"), none = await Engine(null);

        async Task Answers(ChatOptions? options, string modelId, string text)
        {
            var response = await client.GetResponseAsync(messages, options);
            Assert.Equal(modelId, response.ModelId);
            Assert.Equal(text, response.Text);
        }

        var maxTokens = new ChatOptions { MaxOutputTokens = 24, Temperature = 0 };
        await Answers(maxTokens, "A", a);                                                        // neither: the defaults' adapter
        await Answers(Greedy(modelId: "tiny"), "tiny", none);                                    // the model's id: the base model
        await Answers(Greedy(modelId: "B"), "B", b);
        await Answers(Greedy(adapterKey: "B", withKey: true), "B", b);
        await Answers(Greedy(adapterKey: null, withKey: true), "tiny", none);                    // null: the base model
        await Answers(Greedy(modelId: "tiny", adapterKey: "B", withKey: true), "B", b);          // the key wins over the model's id
        await Answers(Greedy(modelId: "B", adapterKey: "B", withKey: true), "B", b);
        await Answers(Greedy(adapterKey: JsonDocument.Parse("\"B\"").RootElement, withKey: true), "B", b);
        Assert.Equal("tiny", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, none);
    }

    [Fact]
    public void UnknownOrContradictoryAdaptersAreRefusedWithTheValidIds()
    {
        using var model = NewModel();
        using var services = Serve(model);
        var client = services.GetRequiredService<IChatClient>();
        var messages = HostingModels.Ask("Hi");

        var byId = Assert.Throws<ArgumentException>(() => client.GetStreamingResponseAsync(messages, Greedy(modelId: "C")));
        Assert.Contains("ChatOptions.ModelId is 'C', but this client serves 'tiny'; valid ids: 'tiny' (the base model), adapters 'A', 'B'.", byId.Message);
        var byKey = Assert.Throws<ArgumentException>(() => client.GetStreamingResponseAsync(messages, Greedy(adapterKey: "a", withKey: true)));
        Assert.Contains("AdditionalProperties['adapter'] is 'a', which is not an adapter loaded on the model; loaded adapters: 'A', 'B'.", byKey.Message);
        Assert.Contains("as a string", Assert.Throws<ArgumentException>(() =>
            client.GetStreamingResponseAsync(messages, Greedy(adapterKey: 42, withKey: true))).Message);
        Assert.Contains("ModelId selects adapter 'A' but AdditionalProperties['adapter'] selects adapter 'B'", Assert.Throws<ArgumentException>(() =>
            client.GetStreamingResponseAsync(messages, Greedy(modelId: "A", adapterKey: "B", withKey: true))).Message);
        Assert.Contains("selects the base model", Assert.Throws<ArgumentException>(() =>
            client.GetStreamingResponseAsync(messages, Greedy(modelId: "A", adapterKey: null, withKey: true))).Message);
        Assert.Contains("name adapter 'C', which is not loaded", Assert.Throws<ArgumentException>(() =>
            client.GetStreamingResponseAsync(messages, new ChatOptions { RawRepresentationFactory = _ => new GenerationOptions { Adapter = "C" } })).Message);

        // Settings that could never work stop the client from being made.
        using var bareModel = NewModel();
        var generator = new Generator(bareModel, HostingModels.Tokenizer);
        Assert.Contains("the model has no adapters", Assert.Throws<ArgumentException>(() =>
            new GptChatClient(generator, "tiny", new GenerationOptions { Adapter = "A" })).Message);
        TinyModels.AddRandomLoraAdapter(bareModel, "tiny", seed: 1);
        Assert.Contains("could not tell the base model from the adapter", Assert.Throws<ArgumentException>(() => new GptChatClient(generator, "tiny")).Message);
    }

    [Fact]
    public async Task RegisteredAdaptersComeOffTheAppsModelWithTheContainerAndALaterRegistrationReplacesAnEarlierOne()
    {
        using var model = NewModel();
        int first = 0, second = 0;
        using (var services = Serve(model, gpt => gpt
                   .WithLoraAdapter("C", m => { first++; return TinyModels.AddRandomLoraAdapter(m, "C", seed: 6); })
                   .WithLoraAdapter("C", m => { second++; return TinyModels.AddRandomLoraAdapter(m, "C", seed: 7); })))
        {
            Assert.Empty(model.Adapters);                                             // loaded with the model, on first need
            var client = services.GetRequiredService<IChatClient>();
            Assert.Equal(["A", "B", "C"], model.Adapters.Keys.Order());
            Assert.Equal((0, 1), (first, second));
            Assert.Equal("C", (await client.GetResponseAsync(HostingModels.Ask("Hi"), Greedy(4, modelId: "C"))).ModelId);
        }
        Assert.Empty(model.Adapters);

        // So the same model can be served again.
        using var again = Serve(model);
        Assert.Equal("A", (await again.GetRequiredService<IChatClient>().GetResponseAsync(HostingModels.Ask("Hi"), Greedy(4, modelId: "A"))).ModelId);
    }

    [Fact]
    public async Task AdaptersLoadOntoAModelReadFromAFolderAndAreLogged()
    {
        var logs = new ListLogger<object>();
        using var services = HostingModels.Services(
            gpt => gpt.FromPretrained(folder.Path).WithLoraAdapter("A", m => TinyModels.AddRandomLoraAdapter(m, "A", seed: 4)),
            more => more.AddSingleton<ILoggerFactory>(new SingleLoggerFactory(logs)));
        var client = services.GetRequiredService<IChatClient>();
        Assert.Equal(["A"], services.GetRequiredService<Generator>().Model.Adapters.Keys);
        Assert.Contains(logs.Entries, e => e.EventId == 7 && e.Message.Contains("Loaded LoRA adapter A onto GPT model tiny-chat"));

        // The same adapter weights on the same base answer alike, however the base was loaded.
        using var model = NewModel();
        using var inMemory = Serve(model);
        var options = Greedy(16, modelId: "A");
        Assert.Equal((await inMemory.GetRequiredService<IChatClient>().GetResponseAsync(HostingModels.Ask("Hi"), options)).Text,
            (await client.GetResponseAsync(HostingModels.Ask("Hi"), options)).Text);
    }

    [Fact]
    public void ALoaderThatDoesNotLoadWhatItsNamePromisesIsAnErrorAndLeavesTheModelAsItWas()
    {
        using var model = NewModel();
        string Fails(Func<GptModel, LoraAdapter> load)
        {
            using var services = Serve(model, gpt => gpt.WithLoraAdapter("C", load));
            var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IChatClient>());
            Assert.Empty(model.Adapters);                                             // A and B came off again
            return error.Message;
        }

        Assert.Contains("returned null", Fails(_ => null!));
        Assert.Contains("returned adapter 'D'", Fails(m => TinyModels.AddRandomLoraAdapter(m, "D", seed: 8)));
        Assert.Contains("file not found", Fails(m =>
        {
            TinyModels.AddRandomLoraAdapter(m, "C", seed: 8);
            throw new InvalidOperationException("file not found");
        }));

        TinyModels.AddRandomLoraAdapter(model, "A", seed: 9);
        using (var clash = Serve(model))
            Assert.Contains("already has a LoRA adapter named 'A'", Assert.Throws<InvalidOperationException>(() => clash.GetRequiredService<IChatClient>()).Message);
        Assert.Equal(["A"], model.Adapters.Keys);                                     // the app's own adapter stays

        var builderServices = new ServiceCollection();
        builderServices.AddGpt(gpt =>
        {
            Assert.Throws<ArgumentException>(() => gpt.WithLoraAdapter(" ", m => m.GetAdapter("x")));
            Assert.Throws<ArgumentNullException>(() => gpt.WithLoraAdapter("A", (Func<GptModel, Gpt.Sdk.Nn.Lora.LoraAdapter>)null!));
        });
    }

    private sealed class SingleLoggerFactory(ILogger logger) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose() { }
    }
}
