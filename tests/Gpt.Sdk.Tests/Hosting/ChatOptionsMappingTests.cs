using System.Text.Json;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Microsoft.Extensions.AI;

namespace Gpt.Sdk.Tests.Hosting;

public class ChatOptionsMappingTests
{
    private static readonly GenerationOptions Defaults = new()
    {
        Temperature = 0.7f, TopP = 0.9f, TopK = 40, MinP = 0.02f, MaxTokens = 99, StopSequences = ["END"], Seed = 5,
        FrequencyPenalty = 0.1f, PresencePenalty = 0.2f, RepetitionPenalty = 1.1f,
    };

    private static GenerationOptions Map(ChatOptions? options) =>
        ChatOptionsMapping.ToGenerationOptions(options, Defaults, HostingModels.Client());

    [Fact]
    public void NoOptionsOrEmptyOptionsKeepTheDefaults()
    {
        Assert.Same(Defaults, Map(null));
        Assert.Equal(Defaults, Map(new ChatOptions()));
    }

    [Fact]
    public void EachChatOptionReplacesItsDefault()
    {
        Assert.Equal(0.3f, Map(new() { Temperature = 0.3f }).Temperature);
        Assert.Equal(0.5f, Map(new() { TopP = 0.5f }).TopP);
        Assert.Equal(3, Map(new() { TopK = 3 }).TopK);
        Assert.Equal(12, Map(new() { MaxOutputTokens = 12 }).MaxTokens);
        Assert.Equal(["a", "bc"], Map(new() { StopSequences = ["a", "bc"] }).StopSequences);
        Assert.Equal(77UL, Map(new() { Seed = 77 }).Seed);
        Assert.Equal(ulong.MaxValue, Map(new() { Seed = -1 }).Seed);   // every long is a distinct seed
        Assert.Equal(0.6f, Map(new() { FrequencyPenalty = 0.6f }).FrequencyPenalty);
        Assert.Equal(-0.4f, Map(new() { PresencePenalty = -0.4f }).PresencePenalty);

        // Only the option that is set changes.
        var mapped = Map(new() { TopK = 3 });
        Assert.Equal(Defaults with { TopK = 3 }, mapped);
    }

    [Fact]
    public void ExtrasComeThroughAdditionalPropertiesInAnyNumericForm()
    {
        Assert.Equal(0.25f, Map(Extra(GptChatOptions.MinP, 0.25f)).MinP);
        Assert.Equal(0.25f, Map(Extra(GptChatOptions.MinP, 0.25)).MinP);
        Assert.Equal(0.25f, Map(Extra(GptChatOptions.MinP, 0.25m)).MinP);
        Assert.Equal(0.25f, Map(Extra(GptChatOptions.MinP, "0.25")).MinP);
        Assert.Equal(0.25f, Map(Extra(GptChatOptions.MinP, JsonDocument.Parse("0.25").RootElement)).MinP);
        Assert.Equal(1f, Map(Extra(GptChatOptions.MinP, 1)).MinP);
        Assert.Equal(1.3f, Map(Extra(GptChatOptions.RepetitionPenalty, 1.3f)).RepetitionPenalty);
    }

    [Fact]
    public void RawRepresentationFactoryGivesTheStartingOptions()
    {
        var start = new GenerationOptions { Temperature = 0, MaxTokens = 3 };
        var mapped = Map(new ChatOptions { RawRepresentationFactory = _ => start, TopK = 2 });
        Assert.Equal(start with { TopK = 2 }, mapped);
        Assert.Contains("GenerationOptions", Refused<ArgumentException>(new ChatOptions { RawRepresentationFactory = _ => "nope" }));
        Assert.Contains("N must be 1", Refused<ArgumentException>(new ChatOptions { RawRepresentationFactory = _ => new GenerationOptions { N = 2 } }));
    }

    [Theory]
    [InlineData(-1f, "Temperature")]
    [InlineData(float.NaN, "Temperature")]
    [InlineData(float.PositiveInfinity, "Temperature")]
    public void BadTemperatureIsRefused(float temperature, string named) =>
        Assert.Contains(named, Refused<ArgumentException>(new ChatOptions { Temperature = temperature }));

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void TopPOutsideZeroToOneIsRefused(float topP) =>
        Assert.Contains("ChatOptions.TopP: top-p must be in (0, 1]", Refused<ArgumentException>(new ChatOptions { TopP = topP }));

    [Fact]
    public void OtherBadValuesAreRefusedWithTheirNames()
    {
        Assert.Contains("TopK", Refused<ArgumentException>(new ChatOptions { TopK = -1 }));
        Assert.Contains("MaxTokens", Refused<ArgumentException>(new ChatOptions { MaxOutputTokens = 0 }));
        Assert.Contains("FrequencyPenalty", Refused<ArgumentException>(new ChatOptions { FrequencyPenalty = float.NaN }));
        Assert.Contains("StopSequences", Refused<ArgumentException>(new ChatOptions { StopSequences = [""] }));
        Assert.Contains("MinP", Refused<ArgumentException>(Extra(GptChatOptions.MinP, 2f)));
        Assert.Contains("give a number", Refused<ArgumentException>(Extra(GptChatOptions.MinP, "lots")));
        Assert.Contains("give a number", Refused<ArgumentException>(Extra(GptChatOptions.MinP, null)));
        Assert.Contains("RepetitionPenalty", Refused<ArgumentException>(Extra(GptChatOptions.RepetitionPenalty, 0)));
        Assert.Contains("'min_p', 'repetition_penalty'", Refused<ArgumentException>(Extra("top_a", 0.5f)));
        Assert.Contains("serves 'tiny'", Refused<ArgumentException>(new ChatOptions { ModelId = "gpt-4o" }));
        Assert.Contains("valid ids: 'tiny' (the base model); the model has no adapters", Refused<ArgumentException>(new ChatOptions { ModelId = "gpt-4o" }));
        Assert.Contains("no adapters", Refused<ArgumentException>(Extra(GptChatOptions.Adapter, "support")));
        Assert.Null(Map(Extra(GptChatOptions.Adapter, null)).Adapter);
        Assert.Equal(Defaults, Map(new ChatOptions { ModelId = "tiny" }));
    }

    [Fact]
    public void FeaturesATextModelCannotHonourAreRefused()
    {
        Assert.Contains("tools", Refused<NotSupportedException>(new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }));
        Assert.Contains("tool", Refused<NotSupportedException>(new ChatOptions { ToolMode = ChatToolMode.RequireAny }));
        Assert.Contains("JSON", Refused<NotSupportedException>(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));
        Assert.Contains("ConversationId", Refused<NotSupportedException>(new ChatOptions { ConversationId = "c1" }));
        Assert.Equal(Defaults, Map(new ChatOptions { ResponseFormat = ChatResponseFormat.Text, ToolMode = ChatToolMode.None }));
    }

    [Fact]
    public void MessagesBecomeTurnsWithInstructionsFirst()
    {
        var turns = ChatMessageMapping.ToTurns(
            [new(ChatRole.System, "be brief"), new(ChatRole.User, "hi"), new(ChatRole.Assistant, [new TextContent("he"), new TextContent("llo"), new UsageContent()])],
            instructions: "answer in English");
        Assert.Equal(
            [new ChatTurn(ChatSpeaker.System, "answer in English"), new(ChatSpeaker.System, "be brief"), new(ChatSpeaker.User, "hi"), new(ChatSpeaker.Assistant, "hello")],
            turns);
        Assert.Contains("role 'tool'", Assert.Throws<NotSupportedException>(() => ChatMessageMapping.ToTurns([new(ChatRole.Tool, "42")], null)).Message);
        Assert.Contains("DataContent", Assert.Throws<NotSupportedException>(() =>
            ChatMessageMapping.ToTurns([new(ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")])], null)).Message);
    }

    private static ChatOptions Extra(string key, object? value) => new() { AdditionalProperties = new() { [key] = value } };

    private static string Refused<TException>(ChatOptions options) where TException : Exception =>
        Assert.Throws<TException>(() => Map(options)).Message;
}
