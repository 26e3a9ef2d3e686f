using Gpt.Kernels.Devices;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gpt.Sdk.Tests.Hosting;

public class AddGptTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    [Fact]
    public async Task RegistersAChatClientOverOneSharedModel()
    {
        using var services = HostingModels.Services(gpt => gpt.FromPretrained(folder.Path));
        var chat = services.GetRequiredService<IChatClient>();
        Assert.Same(chat, services.GetRequiredService<IChatClient>());
        Assert.Same(chat, services.GetRequiredService<GptChatClient>());
        using (var scope = services.CreateScope()) Assert.Same(chat, scope.ServiceProvider.GetRequiredService<IChatClient>());

        var generator = services.GetRequiredService<Generator>();
        Assert.Same(generator, chat.GetService<Generator>());
        Assert.Equal("tiny-chat", chat.GetService<ChatClientMetadata>()!.DefaultModelId);   // the folder's name
        Assert.Equal(HostingModels.Config, generator.Model.Config);

        // The weights on disk are the fixture's: the folder-loaded client answers as the in-memory one does.
        var options = HostingModels.Sampled(seed: 2, maxTokens: 15);
        options.ModelId = "tiny-chat";
        var fromFolder = await chat.GetResponseAsync(HostingModels.Ask("Hi"), options);
        var inMemory = await HostingModels.Client().GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 2, maxTokens: 15));
        Assert.Equal(inMemory.Text, fromFolder.Text);
    }

    [Fact]
    public async Task OptionsBindFromConfigurationAndTheBuilderOverridesInOrder()
    {
        var configuration = Configuration(new()
        {
            ["Gpt:ModelPath"] = folder.Path,
            ["Gpt:Device"] = "cpu",
            ["Gpt:ModelId"] = "from-config",
            ["Gpt:Defaults:Temperature"] = "0",
            ["Gpt:Defaults:TopK"] = "5",
            ["Gpt:Defaults:MinP"] = "0.05",
            ["Gpt:Defaults:MaxTokens"] = "7",
            ["Gpt:Defaults:Seed"] = "42",
            ["Gpt:Defaults:StopSequences:0"] = "\n\n",
        });
        using var services = HostingModels.Services(gpt => gpt.BindConfiguration(configuration.GetSection("Gpt")).WithModelId("from-code"));
        var options = services.GetRequiredService<IOptions<GptOptions>>().Value;
        Assert.Equal(folder.Path, options.ModelPath);
        Assert.Equal(DeviceKind.Cpu, options.Device);
        Assert.Equal("from-code", options.ModelId);
        Assert.Equal(new GenerationOptions { Temperature = 0, TopK = 5, MinP = 0.05f, MaxTokens = 7, Seed = 42, StopSequences = ["\n\n"] } with
            { StopSequences = options.Defaults.StopSequences }, options.Defaults);
        Assert.Equal(["\n\n"], options.Defaults.StopSequences);

        var chat = services.GetRequiredService<IChatClient>();
        Assert.Equal("from-code", chat.GetService<ChatClientMetadata>()!.DefaultModelId);
        var response = await chat.GetResponseAsync(HostingModels.Ask("Hi"));
        Assert.True(response.Usage!.OutputTokenCount <= 7);

        using var reordered = HostingModels.Services(gpt => gpt.WithModelId("from-code").BindConfiguration(configuration.GetSection("Gpt")));
        Assert.Equal("from-config", reordered.GetRequiredService<IOptions<GptOptions>>().Value.ModelId);
    }

    [Fact]
    public void ABuilderCallsEachSettingAndDefaultsCompose()
    {
        using var services = HostingModels.Services(gpt => gpt
            .FromPretrained(folder.Path)
            .UseDevice(DeviceKind.Cpu)
            .WithDefaults(o => o with { Temperature = 0.5f })
            .WithDefaults(o => o with { TopP = 0.8f }));
        var client = services.GetRequiredService<GptChatClient>();
        Assert.Equal(new GenerationOptions { Temperature = 0.5f, TopP = 0.8f }, client.Defaults);
        Assert.Same(Device.Cpu, client.Generator.Model.Device);
    }

    [Fact]
    public void AMissingOrAbsentModelFolderIsAClearErrorAtStartupAndFirstResolve()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-gpt-model-" + Guid.NewGuid().ToString("N"));
        using var services = HostingModels.Services(gpt => gpt.FromPretrained(missing));
        var atStart = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains($"ModelPath '{missing}'", atStart.Message);
        Assert.Contains("is not a folder", atStart.Message);
        var atResolve = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>());
        Assert.Equal(atStart.Message, atResolve.Message);

        using var none = HostingModels.Services(_ => { });
        Assert.Contains("no model is set", Assert.Throws<OptionsValidationException>(() => none.GetRequiredService<IChatClient>()).Message);
    }

    [Fact]
    public void AFolderMissingAPartIsRefusedAtStartupNamingEveryFileThatWouldHaveServed()
    {
        string root = Directory.CreateTempSubdirectory("gpt-sdk-parts-").FullName;
        try
        {
            // What the newcomer of issue 14 had: the weights saved without the tokenizer.
            string weightsOnly = Path.Combine(root, "weights-only");
            HostingModels.Model.Save(weightsOnly);
            using var services = HostingModels.Services(gpt => gpt.FromPretrained(weightsOnly));
            string message = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate()).Message;
            Assert.Contains($"no tokenizer in '{weightsOnly}'", message);
            foreach (string name in (string[])["chars.json", "tokenizer.json", "vocab.json + merges.txt", "encoder.json + vocab.bpe", "*.tiktoken"])
                Assert.Contains(name, message);
            Assert.Contains("GptModel.Save(folder, tokenizer)", message);

            string tokenizerOnly = Path.Combine(root, "tokenizer-only");
            HostingModels.Tokenizer.Save(tokenizerOnly);
            using var noWeights = HostingModels.Services(gpt => gpt.FromPretrained(tokenizerOnly));
            message = Assert.Throws<OptionsValidationException>(() => noWeights.GetRequiredService<IChatClient>()).Message;
            Assert.Contains("no config.json", message);
            Assert.Contains("no model.safetensors", message);
            Assert.DoesNotContain("no tokenizer", message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("Gpt:Devise", "Cpu", "'Devise'")]
    [InlineData("Gpt:Defaults:Temprature", "0.5", "'Temprature'")]
    [InlineData("Gpt:Device", "Tpu", "Gpt:Device")]
    [InlineData("Gpt:Defaults:TopP", "many", "Gpt:Defaults:TopP")]
    public void UnknownKeysAndUnreadableValuesInConfigurationAreRefused(string key, string value, string named)
    {
        var configuration = Configuration(new() { ["Gpt:ModelPath"] = folder.Path, [key] = value });
        using var services = HostingModels.Services(gpt => gpt.BindConfiguration(configuration.GetSection("Gpt")));
        Assert.Contains(named, Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IChatClient>()).Message);
    }

    [Theory]
    [InlineData("Temperature", "-1", "Defaults.Temperature: temperature must be a finite number >= 0")]
    [InlineData("Temperature", "NaN", "Defaults.Temperature: temperature must be a finite number >= 0")]
    [InlineData("TopP", "0", "Defaults.TopP: top-p must be in (0, 1]")]
    [InlineData("TopP", "1.01", "Defaults.TopP: top-p must be in (0, 1]")]
    [InlineData("MaxTokens", "0", "Defaults.MaxTokens: max tokens must be at least 1")]
    [InlineData("N", "2", "Defaults.N is 2")]
    [InlineData("Logprobs", "1", "Defaults.Logprobs")]
    public void InvalidDefaultsAreRefusedWithTheirNames(string option, string value, string message)
    {
        var configuration = Configuration(new() { ["Gpt:ModelPath"] = folder.Path, ["Gpt:Defaults:" + option] = value });
        using var services = HostingModels.Services(gpt => gpt.BindConfiguration(configuration.GetSection("Gpt")));
        Assert.Contains(message, Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IChatClient>()).Message);
    }

    [Fact]
    public void BuilderArgumentsAreGuarded()
    {
        var services = new ServiceCollection();
        Assert.Throws<ArgumentNullException>(() => services.AddGpt(null!));
        services.AddGpt(gpt =>
        {
            Assert.Throws<ArgumentException>(() => gpt.FromPretrained(" "));
            Assert.Throws<ArgumentOutOfRangeException>(() => gpt.UseDevice((DeviceKind)42));
            Assert.Throws<ArgumentException>(() => gpt.WithModelId(""));
            Assert.Throws<ArgumentNullException>(() => gpt.UseModel(null!, HostingModels.Tokenizer));
            Assert.Throws<ArgumentNullException>(() => gpt.BindConfiguration(null!));
            Assert.Null(gpt.ServiceKey);
            Assert.Same(services, gpt.Services);
        });
        Assert.Throws<ArgumentException>(() => services.AddKeyedGpt("", _ => { }));
    }

    [Fact]
    public async Task AModelWithoutAnEmbeddingHeadEmbedsWithMeanPooling()
    {
        using var services = HostingModels.Services(gpt => gpt.FromPretrained(folder.Path));
        var generator = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var head = generator.GetService<Gpt.Sdk.Embeddings.EmbeddingHead>()!;
        Assert.Equal(Gpt.Sdk.Embeddings.EmbeddingPooling.Mean, head.Config.Pooling);
        var embeddings = await generator.GenerateAsync(["hello", "a longer text"]);
        Assert.Equal(2, embeddings.Count);
        Assert.Equal(head.Dimension, embeddings[0].Vector.Length);
    }

    [Fact]
    public async Task KeyedRegistrationsServeSeveralModelsSideBySide()
    {
        var services = new ServiceCollection();
        services.AddKeyedGpt("disk", gpt => gpt.FromPretrained(folder.Path).WithDefaults(o => o with { MaxTokens = 4 }));
        services.AddKeyedGpt("memory", gpt => gpt.UseModel(HostingModels.Model, HostingModels.Tokenizer).WithModelId("mem"));
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var disk = provider.GetRequiredKeyedService<IChatClient>("disk");
        var memory = provider.GetRequiredKeyedService<IChatClient>("memory");
        Assert.NotSame(disk, memory);
        Assert.Null(provider.GetService<IChatClient>());
        Assert.Equal("tiny-chat", disk.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Equal("mem", memory.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Same(HostingModels.Model, memory.GetService<GptModel>());
        Assert.Same(provider.GetRequiredKeyedService<Generator>("disk"), disk.GetService<Generator>());
        Assert.Equal(4, (await disk.GetResponseAsync(HostingModels.Ask("Hi"))).Usage!.OutputTokenCount);
        Assert.Same(HostingModels.Model, provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("memory").GetService<GptModel>());
        Assert.Null(provider.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.StartsWith("Gpt 'disk': no model is set", new GptOptionsValidator().Validate("disk", new GptOptions()).FailureMessage);
    }

    [Fact]
    public async Task AModelTheAppLoadedOutlivesTheContainerAndLoadingIsLogged()
    {
        var logs = new ListLoggerFactory();
        using (var services = HostingModels.Services(gpt => gpt.UseModel(HostingModels.Model, HostingModels.Tokenizer),
                   more => more.AddSingleton<ILoggerFactory>(logs)))
        {
            await services.GetRequiredService<IChatClient>().GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(1, 3));
        }
        // Still usable: the container did not dispose what it did not load.
        await HostingModels.Client().GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(1, 3));
        Assert.Contains(logs.Entries, e => e.EventId == 2 && e.Message.Contains("loaded by the app"));
        Assert.Contains(logs.Entries, e => e.EventId == 4 && (int)e.Values["CompletionTokens"]! == 3);

        using var fromDisk = HostingModels.Services(gpt => gpt.FromPretrained(folder.Path), more => more.AddSingleton<ILoggerFactory>(logs));
        fromDisk.GetRequiredService<IChatClient>();
        Assert.Contains(logs.Entries, e => e.EventId == 1 && e.Message.Contains(folder.Path));
    }

    private static IConfigurationRoot Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private sealed class ListLoggerFactory : ILoggerFactory
    {
        private readonly ListLogger<object> _logger = new();

        public IEnumerable<LogEntry> Entries => _logger.Entries;

        public ILogger CreateLogger(string categoryName) => _logger;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose() { }
    }
}
