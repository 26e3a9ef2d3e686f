using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tests.Tokenization;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Generation;

public class AdapterGenerationTests
{
    private static readonly CharTokenizer Chars = new("abcdefghijklmnopqrstuvwxyz .,!?0123456789"[..37]);

    private static GenerationOptions Greedy(string? adapter, int maxTokens = 40) =>
        new() { Temperature = 0, MaxTokens = maxTokens, Adapter = adapter, Logprobs = 0 };

    private static int[] Ids(GenerationResult result) => result.Completions[0].TokenIds.ToArray();

    private static float[] Logprobs(GenerationResult result) => result.Completions[0].Tokens.Select(t => t.Logprob).ToArray();

    [Fact]
    public async Task WithoutAnAdapterOrWithAFreshOneTheOutputIsTheBaseModelsBitForBit()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 21);
        var generator = new Generator(model, Chars);
        int[] prompt = Chars.Encode("the base model");
        var before = await generator.GenerateAsync(prompt, Greedy(null));
        Assert.Equal(GenerationModels.GreedyByRecomputation(model, prompt, 40), Ids(before));

        model.AddLoraAdapter("fresh", new LoraConfig { Rank = 4, TargetModules = [LoraConfig.AllLinear] }, seed: 1);   // B = 0
        TinyModels.AddRandomLoraAdapter(model, "tuned", seed: 2);
        var withNone = await generator.GenerateAsync(prompt, Greedy(null));
        var withFresh = await generator.GenerateAsync(prompt, Greedy("fresh"));
        var withTuned = await generator.GenerateAsync(prompt, Greedy("tuned"));

        Assert.Equal(Ids(before), Ids(withNone));
        Assert.Equal(Logprobs(before), Logprobs(withNone));     // exact: the same arithmetic
        Assert.Equal(Ids(before), Ids(withFresh));
        Assert.Equal(Logprobs(before), Logprobs(withFresh));    // exact: W·x + b + s·0 adds nothing
        Assert.NotEqual(Ids(before), Ids(withTuned));            // so the comparisons above can fail
    }

    [Fact]
    public async Task PrefillAndEveryDecodeStepRunUnderTheRequestsAdapter()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 23);
        var tuned = TinyModels.AddRandomLoraAdapter(model, "tuned", seed: 5);   // a decode that does not settle into one repeated token
        var generator = new Generator(model, Chars);
        int[] prompt = Chars.Encode("adapted all the way");
        var result = await generator.GenerateAsync(prompt, Greedy("tuned"));
        Assert.Equal(GenerationModels.GreedyByRecomputation(model, prompt, 40, tuned), Ids(result));

        // N completions share the adapted prefill, and a streamed request decodes under the adapter too.
        var two = await generator.GenerateAsync(prompt, Greedy("tuned") with { N = 2 });
        Assert.All(two.Completions, c => Assert.Equal(Ids(result), c.TokenIds));
        var streamed = await GenerationModels.Collect(generator.StreamAsync(prompt, Greedy("tuned")));
        Assert.Equal(Ids(result), streamed.SelectMany(c => c.Tokens).Select(t => t.TokenId));
    }

    [Fact]
    public async Task InterleavedConcurrentRequestsUnderTwoAdaptersAndTheBaseEachGiveTheirSoloTokens()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 24);
        TinyModels.AddRandomLoraAdapter(model, "A", seed: 4);
        TinyModels.AddRandomLoraAdapter(model, "B", seed: 5);
        var generator = new Generator(model, Chars);
        const int requests = 16;
        string?[] adapters = ["A", "B", null];
        // Requests 3k, 3k+1, 3k+2 ask the same prompt under A, B and the base model.
        string Prompt(int i) => $"question {(char)('a' + i / 3)}, go on";
        var options = Enumerable.Range(0, requests).Select(i => Greedy(adapters[i % 3], maxTokens: 30 + i)).ToArray();

        var solo = new int[requests][];
        for (int i = 0; i < requests; i++) solo[i] = Ids(await generator.GenerateAsync(Prompt(i), options[i]));
        for (int k = 0; k + 2 < requests; k += 3)
        {
            int[] a = solo[k][..30], b = solo[k + 1][..30], none = solo[k + 2][..30];
            Assert.NotEqual(a, b);
            Assert.NotEqual(a, none);
            Assert.NotEqual(b, none);
        }

        // All released at once; half stream, half not.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Enumerable.Range(0, requests).Select(i => Task.Run(async () =>
        {
            await start.Task;
            if (i % 2 == 0) return Ids(await generator.GenerateAsync(Prompt(i), options[i]));
            var chunks = await GenerationModels.Collect(generator.StreamAsync(Prompt(i), options[i]));
            return chunks.SelectMany(c => c.Tokens).Select(t => t.TokenId).ToArray();
        })).ToArray();
        start.SetResult();
        var together = await Task.WhenAll(running);

        for (int i = 0; i < requests; i++) Assert.Equal(solo[i], together[i]);
    }

    [Fact]
    public async Task AnUnknownAdapterIsRefusedAtTheDoorWithTheLoadedNames()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 25);
        var generator = new Generator(model, Chars);
        var none = Assert.Throws<ArgumentException>(() => generator.StreamAsync("hello", Greedy("support")));
        Assert.Contains("'support'", none.Message);
        Assert.Contains("has no LoRA adapters", none.Message);
        Assert.Equal(nameof(GenerationOptions.Adapter), none.ParamName);

        TinyModels.AddRandomLoraAdapter(model, "sql", seed: 6);
        TinyModels.AddRandomLoraAdapter(model, "chat", seed: 7);
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync("hello", Greedy("support")));
        Assert.Contains("adapter 'support' is not loaded", unknown.Message);
        Assert.Contains("loaded adapters: 'chat', 'sql'", unknown.Message);
        Assert.Throws<ArgumentException>(() => generator.StreamAsync("hello", Greedy("Chat")));       // names are case-sensitive
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateBatchAsync(["a", "b"], Greedy("support")));
        await Assert.ThrowsAsync<ArgumentException>(() => generator.EditAsync("a", "b", Greedy("support")));
        Assert.Contains("'support'", Assert.Throws<ArgumentException>(() => generator.CreatePromptCache("hello", "support")).Message);
        Assert.Contains("blank", Assert.Throws<ArgumentException>(() => generator.StreamAsync("hello", Greedy(" "))).Message);
        Assert.Contains("blank", Assert.Throws<ArgumentException>(() => generator.CreatePromptCache("hello", "")).Message);
    }

    [Fact]
    public async Task APromptCacheIsReusedOnlyUnderTheAdapterItWasBuiltUnder()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 26);
        TinyModels.AddRandomLoraAdapter(model, "A", seed: 8);
        TinyModels.AddRandomLoraAdapter(model, "B", seed: 9);
        var generator = new Generator(model, Chars);
        const string prefix = "a long shared prefix, then ";
        GenerationOptions Sampled(string? adapter) => new() { Temperature = 1, Seed = 17, MaxTokens = 40, Adapter = adapter };

        using var underA = generator.CreatePromptCache(prefix, "A");
        Assert.Equal("A", underA.Adapter);
        foreach (string prompt in (string[])[prefix + "one question", prefix + "another", prefix])
        {
            var plain = await generator.GenerateAsync(prompt, Sampled("A"));
            var reused = await generator.GenerateAsync(prompt, Sampled("A") with { PromptCache = underA });
            Assert.Equal(Ids(plain), Ids(reused));
            Assert.Equal(plain.Text, reused.Text);
            Assert.NotEqual(Ids(plain), Ids(await generator.GenerateAsync(prompt, Sampled(null))));   // the adapter matters here
        }

        var forB = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(prefix + "x", Sampled("B") with { PromptCache = underA }));
        Assert.Contains("built under adapter 'A'", forB.Message);
        Assert.Contains("the request uses adapter 'B'", forB.Message);
        var forBase = Assert.Throws<ArgumentException>(() => generator.StreamAsync(prefix + "x", Sampled(null) with { PromptCache = underA }));
        Assert.Contains("built under adapter 'A'", forBase.Message);
        Assert.Contains("the request uses the base model", forBase.Message);

        using var underBase = generator.CreatePromptCache(prefix);
        Assert.Null(underBase.Adapter);
        var baseForA = Assert.Throws<ArgumentException>(() => generator.StreamAsync(prefix + "x", Sampled("A") with { PromptCache = underBase }));
        Assert.Contains("built under the base model", baseForA.Message);
        Assert.Contains("adapter 'A'", baseForA.Message);

        // A cache grown from another must keep its adapter.
        int[] longer = Chars.Encode(prefix + "more");
        Assert.Throws<ArgumentException>(() => generator.CreatePromptCache(longer, underA));
        Assert.Throws<ArgumentException>(() => generator.CreatePromptCache(longer, underA, "B"));
        using var grown = generator.CreatePromptCache(longer, underA, "A");
        Assert.Equal(Ids(await generator.GenerateAsync(prefix + "more text", Sampled("A"))),
            Ids(await generator.GenerateAsync(prefix + "more text", Sampled("A") with { PromptCache = grown })));

        // An adapter loaded again under the same name has other weights: its old caches are stale.
        model.RemoveAdapter("A");
        TinyModels.AddRandomLoraAdapter(model, "A", seed: 10);
        Assert.Contains("since removed", Assert.Throws<ArgumentException>(() => generator.StreamAsync(prefix, Sampled("A") with { PromptCache = underA })).Message);
    }

    [Fact]
    public async Task EditPromptsWithExactlyTheEditTemplate()
    {
        var recording = new RecordingTokenizer(Gpt2Fixture.Tokenizer);
        var generator = new Generator(GenerationModels.Gpt2Model, recording);
        recording.Encoded.Clear();
        var options = new GenerationOptions { Temperature = 1, Seed = 3, MaxTokens = 12 };
        var edited = await generator.EditAsync("teh cat sat", "Fix the spelling.", options);

        const string expected = "Input:\nteh cat sat\nInstruction: Fix the spelling.\nOutput:\n";
        Assert.Equal(expected, Assert.Single(recording.Encoded));
        Assert.Equal(expected, EditTemplate.Prompt("teh cat sat", "Fix the spelling."));
        Assert.Equal(Gpt2Fixture.Tokenizer.Encode(expected).Length, edited.Usage.PromptTokens);
        var direct = await GenerationModels.Gpt2Generator().GenerateAsync(expected, options);
        Assert.Equal(direct.Text, edited.Text);
        Assert.Equal(Ids(direct), Ids(edited));

        await Assert.ThrowsAsync<ArgumentNullException>(() => generator.EditAsync(null!, "x"));
        await Assert.ThrowsAsync<ArgumentNullException>(() => generator.EditAsync("x", null!));
    }

    /// <summary>Remembers every text it encodes.</summary>
    private sealed class RecordingTokenizer(ITokenizer inner) : ITokenizer
    {
        public List<string> Encoded { get; } = [];

        public int VocabularySize => inner.VocabularySize;

        public int[] Encode(string text)
        {
            Encoded.Add(text);
            return inner.Encode(text);
        }

        public string Decode(ReadOnlySpan<int> ids) => inner.Decode(ids);
    }
}
