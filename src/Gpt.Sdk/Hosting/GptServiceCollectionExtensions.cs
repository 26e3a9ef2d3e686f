using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers a local GPT model with a service collection, the way Microsoft.Extensions.AI's <c>AddChatClient</c> registers a
/// chat client: the call returns the <see cref="ChatClientBuilder"/> of the <see cref="IChatClient"/> pipeline, so the
/// app's middleware chains on it.
/// <code>
/// builder.Services.AddGpt(gpt => gpt.FromPretrained("models/gpt2"))
///     .UseDistributedCache()      // an IDistributedCache must be registered
///     .UseOpenTelemetry()
///     .UseLogging();
/// </code>
/// The model is loaded once, when the first service that needs it is resolved, and shared by every request; its
/// <see cref="GptOptions"/> are validated at host start (or at first resolve without a host). Registered, as singletons:
/// <list type="bullet">
/// <item><see cref="IChatClient"/>: the pipeline the returned builder builds, around a <see cref="GptChatClient"/>;</item>
/// <item><see cref="GptChatClient"/>: that client itself, without the middleware;</item>
/// <item><see cref="Generator"/>, the engine, for completions, fill-in-the-middle, logprobs and batches;</item>
/// <item><see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of <c>string</c> → <c>Embedding&lt;float&gt;</c> (and
/// <see cref="GptEmbeddingGenerator"/> itself): the head of <see cref="GptBuilder.WithEmbeddingHead"/>, or mean pooling of the
/// model's hidden states without one; middleware can be added with M.E.AI's <c>EmbeddingGeneratorBuilder</c> by registering
/// the pipeline yourself around <see cref="GptEmbeddingGenerator"/>.</item>
/// </list>
/// <c>UseFunctionInvocation()</c> has nothing to do here: the chat client refuses tools (a local text model cannot call
/// them), so a request with tools fails with <see cref="NotSupportedException"/> whatever the middleware.
/// <c>IChatClient.GetService</c> reaches through the middleware to the <see cref="Gpt.Sdk.Nn.GptModel"/>, the
/// <see cref="Generator"/>, the <see cref="Gpt.Sdk.Tokenization.ITokenizer"/> and the <see cref="ChatClientMetadata"/>.
/// </summary>
public static class GptServiceCollectionExtensions
{
    /// <summary>Registers a GPT model and its chat client.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Chooses the model, device and defaults, e.g. <c>gpt => gpt.FromPretrained("models/gpt2")</c>.</param>
    /// <returns>The builder of the registered <see cref="IChatClient"/>: add middleware to it (<c>.UseLogging()</c>,
    /// <c>.UseOpenTelemetry()</c>, <c>.UseDistributedCache()</c>, <c>.Use(...)</c>); the first added is the outermost.</returns>
    public static ChatClientBuilder AddGpt(this IServiceCollection services, Action<GptBuilder> configure) =>
        Add(services, serviceKey: null, Options.Options.DefaultName, configure);

    /// <summary>Registers a GPT model and its chat client under a key, for apps that serve several models
    /// (<c>[FromKeyedServices("small")] IChatClient chat</c>); its options are the named options <c>serviceKey.ToString()</c>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceKey">The key; its string form must not be empty.</param>
    /// <param name="configure">Chooses the model, device and defaults.</param>
    /// <returns>The builder of the keyed <see cref="IChatClient"/>, as <c>AddKeyedChatClient</c> returns: middleware added to it
    /// wraps this registration's client only.</returns>
    public static ChatClientBuilder AddKeyedGpt(this IServiceCollection services, object serviceKey, Action<GptBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        string? name = serviceKey.ToString();
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException("the service key's string form is empty; it names the options, so give a key with a non-empty name.", nameof(serviceKey));
        return Add(services, serviceKey, name, configure);
    }

    private static ChatClientBuilder Add(IServiceCollection services, object? serviceKey, string optionsName, Action<GptBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<GptOptions>(optionsName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GptOptions>, GptOptionsValidator>());
        configure(new GptBuilder(services, serviceKey, optionsName));

        GptModelHost Host(IServiceProvider sp) => sp.GetRequiredKeyedService<GptModelHost>(serviceKey);
        services.AddKeyedSingleton(serviceKey, (sp, _) => new GptModelHost(
            sp.GetRequiredService<IOptionsMonitor<GptOptions>>().Get(optionsName), LoggerFactory(sp)));
        services.AddKeyedSingleton(serviceKey, (sp, _) => Host(sp).Generator);
        services.AddKeyedSingleton(serviceKey, (sp, _) =>
        {
            var host = Host(sp);
            return new GptChatClient(host.Generator, host.ModelId, host.Options.Defaults, LoggerFactory(sp).CreateLogger<GptChatClient>());
        });

        // The embedding generator, registered through M.E.AI's own AddEmbeddingGenerator (keyed like the chat client), so its
        // pipeline is built as theirs; GptEmbeddingGenerator itself is registered too, without middleware.
        services.AddKeyedSingleton(serviceKey, (sp, _) => Host(sp).EmbeddingGenerator);
        IEmbeddingGenerator<string, Embedding<float>> Embeddings(IServiceProvider sp) => sp.GetRequiredKeyedService<GptEmbeddingGenerator>(serviceKey);
        if (serviceKey is null) services.AddEmbeddingGenerator(Embeddings);
        else services.AddKeyedEmbeddingGenerator(serviceKey, Embeddings);

        // M.E.AI's own registration, so the pipeline is built and keyed exactly as after AddChatClient/AddKeyedChatClient.
        IChatClient Inner(IServiceProvider sp) => sp.GetRequiredKeyedService<GptChatClient>(serviceKey);
        return serviceKey is null ? services.AddChatClient(Inner) : services.AddKeyedChatClient(serviceKey, Inner);
    }

    private static ILoggerFactory LoggerFactory(IServiceProvider sp) => sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
}
