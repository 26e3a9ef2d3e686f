using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Microsoft.Extensions.AI;

namespace Gpt.Sdk.Tests.Hosting;

public class GptChatClientTests
{
    [Fact]
    public async Task StreamedUpdatesConcatenateToTheReplyAndEndWithUsageAndFinishReason()
    {
        var client = HostingModels.Client();
        var messages = HostingModels.Ask("Tell me a story.");
        var response = await client.GetResponseAsync(messages, HostingModels.Sampled(seed: 3, maxTokens: 30));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, HostingModels.Sampled(seed: 3, maxTokens: 30))) updates.Add(update);

        Assert.Equal(response.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(30, updates.Count);                                   // one update per decoding step
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.FinishReason));
        Assert.All(updates.SkipLast(1), u => Assert.DoesNotContain(u.Contents, c => c is UsageContent));
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Length, last.FinishReason);
        var usage = Assert.Single(last.Contents.OfType<UsageContent>()).Details;
        Assert.Equal(response.Usage!.InputTokenCount, usage.InputTokenCount);
        Assert.Equal(30, usage.OutputTokenCount);
        Assert.Equal(usage.InputTokenCount + 30, usage.TotalTokenCount);
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.All(updates, u => Assert.Equal("tiny", u.ModelId));

        // M.E.AI's own assembly of the updates gives the same response.
        var assembled = updates.ToChatResponse();
        Assert.Equal(response.Text, assembled.Text);
        Assert.Equal(ChatFinishReason.Length, assembled.FinishReason);
        Assert.Equal(response.Usage.TotalTokenCount, assembled.Usage!.TotalTokenCount);
    }

    [Fact]
    public async Task ResponseCarriesOneAssistantMessageUsageFinishReasonAndTheEngineResult()
    {
        var client = HostingModels.Client();
        var messages = HostingModels.Ask("Hello there");
        var response = await client.GetResponseAsync(messages, HostingModels.Sampled(seed: 1, maxTokens: 12));

        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal("tiny", response.ModelId);
        Assert.StartsWith("gpt-", response.ResponseId);
        var prompt = client.Generator.ChatTemplate.Encode(HostingModels.Tokenizer, [new ChatTurn(ChatSpeaker.User, "Hello there")]).Tokens;
        Assert.Equal(prompt.Length, response.Usage!.InputTokenCount);
        Assert.Equal(12, response.Usage.OutputTokenCount);
        var raw = Assert.IsType<GenerationResult>(response.RawRepresentation);
        Assert.Equal(response.Text, raw.Text);

        // The same request through the engine directly: the adapter adds nothing and loses nothing.
        var direct = await client.Generator.ChatAsync([new ChatTurn(ChatSpeaker.User, "Hello there")],
            new GenerationOptions { Temperature = 1, Seed = 1, MaxTokens = 12 });
        Assert.Equal(direct.Text, response.Text);
    }

    [Fact]
    public async Task SeedsRepeatAndDiffer()
    {
        var client = HostingModels.Client();
        var messages = HostingModels.Ask("Pick a word");
        string a = (await client.GetResponseAsync(messages, HostingModels.Sampled(seed: 8))).Text;
        string b = (await client.GetResponseAsync(messages, HostingModels.Sampled(seed: 8))).Text;
        string c = (await client.GetResponseAsync(messages, HostingModels.Sampled(seed: 9))).Text;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task StopSequencesEndTheReplyBeforeTheStopText()
    {
        var client = HostingModels.Client();
        var messages = HostingModels.Ask("Go on");
        string free = (await client.GetResponseAsync(messages, HostingModels.Sampled(seed: 4, maxTokens: 40))).Text;
        string stop = free.Substring(10, 2);
        var options = HostingModels.Sampled(seed: 4, maxTokens: 40);
        options.StopSequences = [stop];

        var response = await client.GetResponseAsync(messages, options);
        Assert.Equal(free[..free.IndexOf(stop, StringComparison.Ordinal)], response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options)) updates.Add(update);
        Assert.Equal(response.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
    }

    [Fact]
    public async Task InstructionsAndDefaultsShapeTheRequest()
    {
        var defaults = new GenerationOptions { Temperature = 0, MaxTokens = 6 };
        var client = HostingModels.Client(defaults: defaults);
        var response = await client.GetResponseAsync(HostingModels.Ask("Hi"), new ChatOptions { Instructions = "Be kind." });
        var direct = await client.Generator.ChatAsync([new ChatTurn(ChatSpeaker.System, "Be kind."), new ChatTurn(ChatSpeaker.User, "Hi")], defaults);
        Assert.Equal(direct.Text, response.Text);
        Assert.Equal(6, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public void GetServiceFollowsTheExtensionsAiConvention()
    {
        var client = HostingModels.Client();
        IChatClient chat = client;
        var metadata = chat.GetService<ChatClientMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal(GptChatClient.ProviderName, metadata.ProviderName);
        Assert.Equal("tiny", metadata.DefaultModelId);
        Assert.Same(client, chat.GetService<GptChatClient>());
        Assert.Same(client, chat.GetService<IChatClient>());
        Assert.Same(client.Generator, chat.GetService<Generator>());
        Assert.Same(HostingModels.Model, chat.GetService<GptModel>());
        Assert.Same(HostingModels.Tokenizer, chat.GetService<ITokenizer>());
        Assert.Same(HostingModels.Tokenizer, chat.GetService<CharTokenizer>());
        Assert.Null(chat.GetService<BpeTokenizer>());
        Assert.Null(chat.GetService<string>());
        Assert.Null(chat.GetService<IEmbeddingGenerator<string, Embedding<float>>>());

        // A key asks for a keyed service, and this client holds none.
        Assert.Null(chat.GetService<ChatClientMetadata>("tiny"));
        Assert.Null(chat.GetService<GptChatClient>("any"));
        Assert.Null(chat.GetService(typeof(Generator), serviceKey: 1));
        Assert.Throws<ArgumentNullException>(() => chat.GetService(null!));
    }

    [Fact]
    public async Task BadInputIsRefusedBeforeAnythingRuns()
    {
        var client = HostingModels.Client();
        Assert.Throws<ArgumentNullException>(() => client.GetStreamingResponseAsync(null!));
        Assert.Contains("Temperature", Assert.Throws<ArgumentException>(() =>
            client.GetStreamingResponseAsync(HostingModels.Ask("x"), new ChatOptions { Temperature = -1 })).Message);
        Assert.Contains("TopP", (await Assert.ThrowsAsync<ArgumentException>(() =>
            client.GetResponseAsync(HostingModels.Ask("x"), new ChatOptions { TopP = 2 }))).Message);
        Assert.Contains("not in this tokenizer", (await Assert.ThrowsAsync<ArgumentException>(() =>
            client.GetResponseAsync(HostingModels.Ask("snow \u2744")))).Message);
        Assert.Contains("context", (await Assert.ThrowsAsync<ArgumentException>(() =>
            client.GetResponseAsync(HostingModels.Ask(new string('a', 200))))).Message);

        Assert.Contains("Temperature", Assert.Throws<ArgumentException>(() => HostingModels.Client(defaults: new() { Temperature = float.NaN })).Message);
        Assert.Contains("N must be 1", Assert.Throws<ArgumentException>(() => HostingModels.Client(defaults: new() { N = 3 })).Message);
        Assert.Contains("BestOf", Assert.Throws<ArgumentException>(() => HostingModels.Client(defaults: new() { BestOf = 2 })).Message);
        Assert.Throws<ArgumentNullException>(() => new GptChatClient(null!));
        Assert.Throws<ArgumentException>(() => new GptChatClient(client.Generator, modelId: " "));
    }
}
