using Gpt.Sdk.Generation;
using Gpt.Sdk.Tests.Tokenization;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;

namespace Gpt.Sdk.Tests.Training.Sft;

/// <summary>The three JSONL formats: what becomes tokens, and which tokens carry loss.</summary>
public sealed class SftFormatTests
{
    private static readonly SftDataOptions Options = new() { SequenceLength = 256 };

    [Fact]
    public void PromptCompletionLearnsTheCompletionAndTheEndToken()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, """{"prompt": "What is two plus two?", "completion": " Four.", "id": 7}""");
        var example = Assert.Single(SftDataset.Load(path, ChatBpe, Options).Examples);

        int[] prompt = ChatBpe.Encode("What is two plus two?"), completion = ChatBpe.Encode(" Four.");
        int end = ChatBpe.SpecialTokens[WellKnownSpecialTokens.EndOfText];
        Assert.Equal([.. prompt, .. completion, end], example.Tokens);
        Assert.Equal([.. prompt.Select(_ => false), .. completion.Select(_ => true), true], example.LossMask);

        // In the batch: the pairs whose next token is in the prompt carry no loss; the rest predict the completion, then the end.
        var batch = FirstBatch(SftDataset.Load(path, ChatBpe, Options));
        Assert.All(batch.Targets.Take(prompt.Length - 1), target => Assert.Equal(-1, target));
        Assert.Equal([.. completion, end], LearnedTargets(batch));
    }

    [Fact]
    public void PromptCompletionWithoutAnEndTokenLearnsTheCompletionOnly()
    {
        var dataset = SftDataset.FromExamples([new PromptCompletionExample("Q: 2+2?", " A: 4")], Chars, Options);
        var example = Assert.Single(dataset.Examples);
        Assert.Equal(Chars.Encode("Q: 2+2? A: 4"), example.Tokens);
        Assert.Equal(" A: 4", Chars.Decode(LearnedTargets(FirstBatch(dataset))));
    }

    [Fact]
    public void ChatMlMessagesLearnOnlyTheAssistant()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path,
            """{"messages": [{"role": "system", "content": "You are brief."}, {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hello there"}, {"role": "user", "content": "two plus two?"}, {"role": "assistant", "content": "Four."}]}""");
        var dataset = SftDataset.Load(path, ChatBpe, Options);
        var example = Assert.Single(dataset.Examples);

        ChatTurn[] turns =
        [
            new(ChatSpeaker.System, "You are brief."), new(ChatSpeaker.User, "Hello"), new(ChatSpeaker.Assistant, "Hello there"),
            new(ChatSpeaker.User, "two plus two?"), new(ChatSpeaker.Assistant, "Four."),
        ];
        var expected = ChatTemplate.ChatMl.Encode(ChatBpe, turns, addReplyPrompt: false);
        Assert.Equal(expected.Tokens, example.Tokens);
        Assert.Equal(expected.AssistantMask, example.LossMask);

        // System and user tokens are never targets; the replies and their end markers are, and nothing else.
        int endOfMessage = ChatBpe.SpecialTokens[WellKnownSpecialTokens.MessageEnd];
        var batch = FirstBatch(dataset);
        Assert.Equal([.. ChatBpe.Encode("Hello there"), endOfMessage, .. ChatBpe.Encode("Four."), endOfMessage], LearnedTargets(batch));
        for (int i = 0; i < example.PairCount; i++)
            Assert.Equal(example.LossMask[i + 1] ? example.Tokens[i + 1] : -1, batch.Targets[i]);
    }

    [Fact]
    public void PlainTextMessagesAreChosenForATokenizerWithoutChatTokens()
    {
        SftExample chat = new ChatExample([new(ChatSpeaker.User, "Hi"), new(ChatSpeaker.Assistant, "Yo")]);
        var dataset = SftDataset.FromExamples([chat], Chars, Options);
        Assert.Equal("User: Hi\n\nAssistant: Yo\n\n", Chars.Decode(dataset.Examples[0].Tokens));
        Assert.Equal(" Yo\n\n", Chars.Decode(LearnedTargets(FirstBatch(dataset))));

        // A model without rows for the chat tokens gets the plain layout even from a tokenizer that has them.
        var plain = SftDataset.FromExamples([chat], ChatBpe, Options with { VocabularySize = ChatBpe.VocabularySize - 5 });
        Assert.Equal("User: Hi\n\nAssistant: Yo\n\n", ChatBpe.Decode(plain.Examples[0].Tokens));
    }

    [Fact]
    public void AssistantMessagesWithWeightZeroAreNotLearned()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path,
            """{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "bad", "weight": 0}, {"role": "user", "content": "b"}, {"role": "assistant", "content": "good", "weight": 1}]}""");
        var dataset = SftDataset.Load(path, Chars, Options);
        Assert.Equal(" good\n\n", Chars.Decode(LearnedTargets(FirstBatch(dataset))));
    }

    [Fact]
    public void TrainOnAllTokensPutsLossOnEveryToken()
    {
        SftExample[] examples =
        [
            new PromptCompletionExample("Q: 2+2?", " A: 4"),
            new ChatExample([new(ChatSpeaker.System, "S"), new(ChatSpeaker.User, "Hi"), new(ChatSpeaker.Assistant, "Yo")]),
            new EditExample("x = 1", "rename x to y", "y = 1"),
        ];
        var dataset = SftDataset.FromExamples(examples, Chars, Options with { TrainOnAllTokens = true });
        foreach (var example in dataset.Examples)
        {
            Assert.All(example.LossMask, Assert.True);
            var batch = FirstBatch(new SftDataset([example], Options.SequenceLength));
            Assert.Equal(example.Tokens[1..], batch.Targets[..example.PairCount]);
        }
    }

    [Fact]
    public void EditRendersThroughEditTemplate()
    {
        Assert.Equal("Input:\nx = 1\nInstruction: rename x to y\nOutput:\n", EditTemplate.Prompt("x = 1", "rename x to y"));

        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path, """{"input": "x = 1", "instruction": "rename x to y", "output": "y = 1"}""");
        var example = Assert.Single(SftDataset.Load(path, ChatBpe, Options).Examples);
        int end = ChatBpe.SpecialTokens[WellKnownSpecialTokens.EndOfText];
        Assert.Equal([.. ChatBpe.Encode(EditTemplate.Prompt("x = 1", "rename x to y")), .. ChatBpe.Encode("y = 1"), end], example.Tokens);
        Assert.Equal("y = 1<|endoftext|>", ChatBpe.Decode(LearnedTargets(FirstBatch(SftDataset.Load(path, ChatBpe, Options)))));
    }

    [Fact]
    public void FileAndInMemoryExamplesGiveTheSameTokens()
    {
        using var folder = new TempFolder();
        string path = WriteJsonl(folder.Path,
            "\uFEFF{\"prompt\": \"p\", \"completion\": \"c\"}",
            "",
            """{"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}""",
            "   ",
            """{"input": "i", "instruction": "n", "output": "o"}""");
        var fromFile = SftDataset.Load(path, Chars, Options);
        var inMemory = SftDataset.FromExamples(
            [new PromptCompletionExample("p", "c"), new ChatExample([new(ChatSpeaker.User, "u"), new(ChatSpeaker.Assistant, "a")]), new EditExample("i", "n", "o")],
            Chars, Options);
        Assert.Equal(3, fromFile.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(inMemory.Examples[i].Tokens, fromFile.Examples[i].Tokens);
            Assert.Equal(inMemory.Examples[i].LossMask, fromFile.Examples[i].LossMask);
        }
        Assert.Equal(fromFile.Examples.Sum(e => e.TargetCount), fromFile.TargetCount);
    }
}
