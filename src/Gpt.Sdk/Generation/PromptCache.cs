using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Generation;

/// <summary>
/// The keys and values of a prompt prefix, computed once by <see cref="Generator.CreatePromptCache(string, CancellationToken)"/>
/// and shared by later requests that start with the same tokens (a long system prompt, few-shot
/// examples, the conversation so far): passed as <see cref="GenerationOptions.PromptCache"/>, its
/// positions are copied into the request's own cache instead of recomputed, with identical results.
/// Read-only once made, so concurrent requests may share it; dispose it when no request uses it any more.
/// </summary>
public sealed class PromptCache : IDisposable
{
    private readonly int[] _tokens;

    internal PromptCache(GptModel model, int[] tokens, KvCache cache)
    {
        Model = model;
        _tokens = tokens;
        Cache = cache;
    }

    /// <summary>The prefix's tokens.</summary>
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>The model whose keys and values these are.</summary>
    public GptModel Model { get; }

    /// <summary>Bytes of device memory held.</summary>
    public long Bytes => Cache.Bytes;

    internal KvCache Cache { get; }

    /// <summary>Frees the cached keys and values.</summary>
    public void Dispose() => Cache.Dispose();

    /// <summary>How many leading tokens <paramref name="prompt"/> shares with the prefix.</summary>
    internal int CommonPrefixLength(ReadOnlySpan<int> prompt) => prompt.CommonPrefixLength(_tokens);
}
