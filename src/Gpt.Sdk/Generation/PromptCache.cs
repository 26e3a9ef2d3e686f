using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;

namespace Gpt.Sdk.Generation;

/// <summary>
/// The keys and values of a prompt prefix, computed once by <see cref="Generator.CreatePromptCache(string, string?, CancellationToken)"/>
/// and shared by later requests that start with the same tokens (a long system prompt, few-shot
/// examples, the conversation so far): passed as <see cref="GenerationOptions.PromptCache"/>, its
/// positions are copied into the request's own cache instead of recomputed, with identical results.
/// The keys and values depend on the LoRA adapter they were computed under, so a cache serves only
/// requests with the same <see cref="GenerationOptions.Adapter"/> (<see cref="Adapter"/>); any other is refused.
/// Read-only once made, so concurrent requests may share it; dispose it when no request uses it any more.
/// </summary>
public sealed class PromptCache : IDisposable
{
    private readonly int[] _tokens;

    internal PromptCache(GptModel model, LoraAdapter? adapter, int[] tokens, KvCache cache)
    {
        Model = model;
        LoraAdapter = adapter;
        _tokens = tokens;
        Cache = cache;
    }

    /// <summary>The prefix's tokens.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>The model whose keys and values these are.</summary>
    public GptModel Model { get; }

    /// <summary>The name of the LoRA adapter the prefix ran under, or null for the base model.</summary>
    public string? Adapter => LoraAdapter?.Name;

    /// <summary>Bytes of device memory held.</summary>
    public long Bytes => Cache.Bytes;

    internal KvCache Cache { get; }

    // The instance, not only the name: an adapter removed and loaded again under its name has other weights.
    internal LoraAdapter? LoraAdapter { get; }

    /// <summary>Frees the cached keys and values.</summary>
    public void Dispose() => Cache.Dispose();

    /// <summary>How many leading tokens <paramref name="prompt"/> shares with the prefix.</summary>
    internal int CommonPrefixLength(ReadOnlySpan<int> prompt) => prompt.CommonPrefixLength(_tokens);

    /// <summary>Throws unless this cache was built under <paramref name="adapter"/>: silently recomputing would hide
    /// the caller's mix-up, and reusing would give another adapter's keys and values.</summary>
    internal void CheckAdapter(LoraAdapter? adapter, string paramName)
    {
        if (adapter == LoraAdapter) return;
        if (adapter is not null && LoraAdapter is not null && adapter.Name == LoraAdapter.Name)
            throw new ArgumentException(
                $"the prompt cache was built under an earlier adapter named '{adapter.Name}', since removed and loaded again with other weights; " +
                "build the cache again under the adapter now loaded.", paramName);
        throw new ArgumentException(
            $"the prompt cache was built under {Describe(LoraAdapter)}, but the request uses {Describe(adapter)}; keys and values differ between adapters, " +
            $"so build a cache under {Describe(adapter)} (Generator.CreatePromptCache with adapter {(adapter is null ? "null" : $"'{adapter.Name}'")}) or drop the cache.",
            paramName);
    }

    private static string Describe(LoraAdapter? adapter) => adapter is null ? "the base model (no adapter)" : $"adapter '{adapter.Name}'";
}
