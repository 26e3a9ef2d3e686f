using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers a local GPT model with a service collection. The model is loaded once, when the first service
/// that needs it is resolved, and shared by every request; its <see cref="GptOptions"/> are validated at host
/// start (or at first resolve without a host). Registered, as singletons:
/// <list type="bullet">
/// <item><see cref="IChatClient"/> (a <see cref="GptChatClient"/>, also registered as itself, to wrap in middleware);</item>
/// <item><see cref="Generator"/>, the engine, for completions, fill-in-the-middle, logprobs and batches;</item>
/// <item><see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of <c>string</c> → <c>Embedding&lt;float&gt;</c>, which resolves
/// to null unless the model has an embedding head.</item>
/// </list>
/// </summary>
public static class GptServiceCollectionExtensions
{
    /// <summary>Registers a GPT model and its chat client.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Chooses the model, device and defaults, e.g. <c>gpt => gpt.FromPretrained("models/gpt2")</c>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddGpt(this IServiceCollection services, Action<GptBuilder> configure) =>
        Add(services, serviceKey: null, Options.Options.DefaultName, configure);

    /// <summary>Registers a GPT model and its chat client under a key, for apps that serve several models
    /// (<c>[FromKeyedServices("small")] IChatClient chat</c>); its options are the named options <c>serviceKey.ToString()</c>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="serviceKey">The key; its string form must not be empty.</param>
    /// <param name="configure">Chooses the model, device and defaults.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddKeyedGpt(this IServiceCollection services, object serviceKey, Action<GptBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        string? name = serviceKey.ToString();
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException("the service key's string form is empty; it names the options, so give a key with a non-empty name.", nameof(serviceKey));
        return Add(services, serviceKey, name, configure);
    }

    private static IServiceCollection Add(IServiceCollection services, object? serviceKey, string optionsName, Action<GptBuilder> configure)
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
        services.AddKeyedSingleton<IChatClient>(serviceKey, (sp, _) => sp.GetRequiredKeyedService<GptChatClient>(serviceKey));
        services.AddKeyedSingleton(serviceKey, (sp, _) => Host(sp).EmbeddingGenerator!);
        return services;
    }

    private static ILoggerFactory LoggerFactory(IServiceProvider sp) => sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
}
