using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Gpt.Sdk.Tests.Hosting;

/// <summary>A tiny random character-level model for the hosting tests: every printable ASCII character and the
/// newline are tokens, so any chat prompt encodes; a decoding step takes microseconds.</summary>
internal static class HostingModels
{
    public static CharTokenizer Tokenizer { get; } =
        new(new string(Enumerable.Range(32, 95).Select(c => (char)c).Prepend('\n').ToArray()));

    public static GptConfig Config { get; } = new()
    {
        VocabularySize = Tokenizer.VocabularySize, ContextLength = 128, EmbeddingSize = 16, LayerCount = 2, HeadCount = 2,
    };

    private static readonly Lazy<GptModel> s_model = new(() => new GptModel(Config, seed: 11));

    /// <summary>Shared and only read, so tests may use it concurrently.</summary>
    public static GptModel Model => s_model.Value;

    /// <summary>A chat client over <see cref="Model"/> (or the given tokenizer) with the engine's defaults.</summary>
    public static GptChatClient Client(ITokenizer? tokenizer = null, GenerationOptions? defaults = null, ListLogger<GptChatClient>? logger = null) =>
        new(new Generator(Model, tokenizer ?? Tokenizer), "tiny", defaults, logger);

    /// <summary>Sampled, seeded options for a reply of up to <paramref name="maxTokens"/> tokens.</summary>
    public static ChatOptions Sampled(long seed, int maxTokens = 24) => new() { Temperature = 1f, Seed = seed, MaxOutputTokens = maxTokens };

    public static ChatMessage[] Ask(string question) => [new(ChatRole.User, question)];

    /// <summary>A container with one <c>AddGpt</c> registration.</summary>
    public static ServiceProvider Services(Action<GptBuilder> configure, Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection();
        services.AddGpt(configure);
        more?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}

/// <summary>A model folder on disk (config.json, model.safetensors, chars.json) holding <see cref="HostingModels.Model"/>,
/// deleted after the test class.</summary>
public sealed class ModelFolderFixture : IDisposable
{
    public ModelFolderFixture()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gpt-sdk-hosting-" + Guid.NewGuid().ToString("N"), "tiny-chat");
        HostingModels.Model.Save(Path, HostingModels.Tokenizer);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: true);
}
