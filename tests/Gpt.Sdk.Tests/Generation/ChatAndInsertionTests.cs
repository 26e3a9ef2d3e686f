using Gpt.Kernels.Random;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tests.Tokenization;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Generation;

public class ChatAndInsertionTests
{
    private static readonly BpeTokenizer Tokenizer = GenerationModels.Gpt2WithChatTokens;

    private static int Special(string text) => Tokenizer.SpecialTokens[text];

    [Fact]
    public void ChatMlLaysOutTurnsWithRoleTokensAndMarksTheAssistant()
    {
        ChatTurn[] turns = [new(ChatSpeaker.System, "Be brief."), new(ChatSpeaker.User, "Hi <|im_end|>"), new(ChatSpeaker.Assistant, "Hello!")];
        var encoding = ChatTemplate.ChatMl.Encode(Tokenizer, turns, addReplyPrompt: false);
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi <|im_end|><|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n",
            Tokenizer.Decode(encoding.Tokens));
        // Markers are the special ids; the user's "<|im_end|>" stays ordinary text.
        Assert.Equal(3, encoding.Tokens.Count(id => id == Special(WellKnownSpecialTokens.MessageStart)));
        Assert.Equal(3, encoding.Tokens.Count(id => id == Special(WellKnownSpecialTokens.MessageEnd)));
        // The training targets: exactly the assistant's text and its end marker.
        int[] learned = encoding.Tokens.Where((_, i) => encoding.AssistantMask[i]).ToArray();
        Assert.Equal([.. Tokenizer.Encode("Hello!"), Special(WellKnownSpecialTokens.MessageEnd)], learned);

        var prompt = ChatTemplate.ChatMl.Encode(Tokenizer, turns[..2]);
        Assert.EndsWith("<|im_start|>assistant\n", Tokenizer.Decode(prompt.Tokens));
        Assert.DoesNotContain(true, prompt.AssistantMask);
    }

    [Fact]
    public void PlainTemplateIsChosenWhenTheModelLacksChatTokens()
    {
        Assert.Same(ChatTemplate.PlainText, ChatTemplate.For(Gpt2Fixture.Tokenizer, 50257));
        Assert.Same(ChatTemplate.PlainText, ChatTemplate.For(Tokenizer, 50257)); // the ids exist but the model has no rows for them
        Assert.Same(ChatTemplate.ChatMl, ChatTemplate.For(Tokenizer, 50262));
        var encoding = ChatTemplate.PlainText.Encode(Gpt2Fixture.Tokenizer, [new(ChatSpeaker.User, "Hi"), new(ChatSpeaker.Assistant, "Yo")]);
        Assert.Equal("User: Hi\n\nAssistant: Yo\n\nAssistant:", Gpt2Fixture.Tokenizer.Decode(encoding.Tokens));
        Assert.Throws<ArgumentException>(() => ChatTemplate.ChatMl.Encode(Gpt2Fixture.Tokenizer, [new(ChatSpeaker.User, "Hi")]));
    }

    [Fact]
    public async Task ChatReplyStopsAtTheEndOfMessageToken()
    {
        using var model = new GptModel(GenerationModels.Gpt2Vocabulary(50262), seed: 2);
        var generator = new Generator(model, Tokenizer);
        Assert.Same(ChatTemplate.ChatMl, generator.ChatTemplate);
        int end = Special(WellKnownSpecialTokens.MessageEnd);
        var options = new GenerationOptions { Temperature = 0, LogitBias = new Dictionary<int, float> { [end] = 100f } };
        var reply = await generator.ChatAsync([new(ChatSpeaker.User, "Hello")], options);
        Assert.Equal(FinishReason.EndOfText, reply.FinishReason);
        Assert.Equal("", reply.Text);

        var streamed = await GenerationModels.Collect(generator.StreamChatAsync([new(ChatSpeaker.User, "Hello")], new GenerationOptions { Seed = 1, MaxTokens = 5 }));
        Assert.Equal(FinishReason.Length, streamed[^1].FinishReason);
    }

    [Fact]
    public async Task InsertionPromptsWithFimTokensAndGeneratesTheMiddle()
    {
        int[] prompt = FillInTheMiddle.Prompt(Tokenizer, "def add(a, b):", "    return c");
        Assert.Equal("<|fim_prefix|>def add(a, b):<|fim_suffix|>    return c<|fim_middle|>", Tokenizer.Decode(prompt));
        Assert.Equal(Special(WellKnownSpecialTokens.FimMiddle), prompt[^1]);

        using var model = new GptModel(GenerationModels.Gpt2Vocabulary(50262), seed: 3);
        var generator = new Generator(model, Tokenizer);
        var result = await generator.InsertAsync("def add(a, b):", "    return c", new GenerationOptions { Seed = 4, MaxTokens = 6 });
        var direct = await generator.GenerateAsync(prompt, new GenerationOptions { Seed = 4, MaxTokens = 6 });
        Assert.Equal(direct.Text, result.Text);
        Assert.Equal(prompt.Length, result.Usage.PromptTokens);
        await Assert.ThrowsAsync<ArgumentException>(() => GenerationModels.Gpt2Generator().InsertAsync("a", "b"));
    }

    [Fact]
    public void TokenTransformReordersPrefixSuffixMiddle()
    {
        var markers = FimTokens.From(Tokenizer);
        int[] document = Enumerable.Range(100, 40).ToArray();
        var rng = new CounterRng(5);
        for (int trial = 0; trial < 20; trial++)
        {
            int[] transformed = FillInTheMiddle.Transform(document, markers, ref rng, rate: 1f);
            Assert.Equal(document.Length + 3, transformed.Length);
            Assert.Equal(markers.Prefix, transformed[0]);
            int suffixAt = Array.IndexOf(transformed, markers.Suffix), middleAt = Array.IndexOf(transformed, markers.Middle);
            int[] prefix = transformed[1..suffixAt], suffix = transformed[(suffixAt + 1)..middleAt], middle = transformed[(middleAt + 1)..];
            Assert.Equal(document, (int[])[.. prefix, .. middle, .. suffix]);
        }
        Assert.Equal(document, FillInTheMiddle.Transform(document, markers, ref rng, rate: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => FillInTheMiddle.Transform(document, markers, ref rng, rate: 1.5f));
    }

    [Fact]
    public void TextTransformCutsBetweenCharactersAndEncodesEachPart()
    {
        const string document = "héllo 👋🏽 wörld, a few more words 世界";
        var rng = new CounterRng(9);
        int transformedCount = 0;
        for (int trial = 0; trial < 40; trial++)
        {
            int[] ids = FillInTheMiddle.Transform(document, Tokenizer, ref rng, rate: 0.5f);
            string text = Tokenizer.Decode(ids);
            if (!text.StartsWith(WellKnownSpecialTokens.FimPrefix, StringComparison.Ordinal))
            {
                Assert.Equal(Tokenizer.Encode(document), ids);
                continue;
            }
            transformedCount++;
            var parts = text[WellKnownSpecialTokens.FimPrefix.Length..].Split([WellKnownSpecialTokens.FimSuffix, WellKnownSpecialTokens.FimMiddle], StringSplitOptions.None);
            Assert.Equal(document, parts[0] + parts[2] + parts[1]);
            Assert.All(parts, p => Assert.False(GenerationModels.HasLoneSurrogate(p)));
        }
        Assert.InRange(transformedCount, 10, 30);
    }

    [Fact]
    public void MajorityVotePicksTheMostCommonExtractedAnswer()
    {
        string[] completions = ["... so the answer is 42", "I think 41", "answer: 42", "no idea", "41", "it is 42"];
        static string? LastNumber(string text) =>
            text.Split(' ', ':').LastOrDefault(w => w.Length > 0 && w.All(char.IsDigit));
        var vote = MajorityVote.Vote(completions, LastNumber);
        Assert.Equal(new MajorityVoteResult("42", 3, 5), vote);
        Assert.Equal("b", MajorityVote.Vote(["b", "a", "a", "b"]).Answer); // tie: first seen
        Assert.Equal(new MajorityVoteResult(null, 0, 0), MajorityVote.Vote(["x"], _ => null));
        Assert.Equal("Yes", MajorityVote.Vote([" Yes", "yes ", "no"], comparer: StringComparer.OrdinalIgnoreCase).Answer);
    }
}
