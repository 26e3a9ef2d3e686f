using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Embeds texts with a GPT trunk and an <see cref="EmbeddingHead"/>: many texts per forward pass (right-padded rows of
/// similar length), L2-normalised vectors, safe under concurrent calls (each call has its own tape; the weights are only
/// read). A text longer than the trunk's context allows (<see cref="MaxTextTokens"/>) is <b>truncated</b> to its first
/// tokens and flagged in <see cref="TextEmbedding.Truncated"/>; an empty text is refused with an
/// <see cref="ArgumentException"/>.
/// <para>On disk an embedding model is a model folder plus a head folder (<see cref="Save"/>, <see cref="Load"/>): the head
/// folder holds the head, the tokenizer with its delimiters and, for a LoRA-trained trunk, the PEFT adapter, so a
/// pretrained GPT-2 folder plus a head folder is enough; after full fine-tuning the head folder is a complete model folder
/// too.</para>
/// </summary>
public sealed class Embedder : IDisposable
{
    /// <summary>The name a head folder's LoRA adapter is loaded under.</summary>
    public const string AdapterName = "embedding";

    // Bounds of one forward pass: enough rows to keep the matrix products busy, few enough tokens to bound the memory.
    private const int MaxRowsPerPass = 64;
    private const int MaxTokensPerPass = 8192;

    private readonly EmbeddingEncoder _encoder;
    private readonly bool _ownsTrunk;
    private readonly bool _removeAdapter;

    /// <summary>An embedder of <paramref name="trunk"/> and <paramref name="head"/>; it disposes the head, not the trunk.</summary>
    /// <param name="trunk">The transformer (stays the caller's).</param>
    /// <param name="head">The head, as wide as the trunk and on its device.</param>
    /// <param name="tokenizer">The trunk's tokenizer (with the delimiters for end-token pooling).</param>
    /// <param name="adapter">A LoRA adapter of the trunk applied in every pass, or null.</param>
    /// <exception cref="ArgumentException">The head, tokenizer or adapter does not fit the trunk.</exception>
    public Embedder(GptModel trunk, EmbeddingHead head, ITokenizer tokenizer, LoraAdapter? adapter = null)
        : this(trunk, head, tokenizer, adapter, ownsTrunk: false, removeAdapter: false)
    {
    }

    internal Embedder(GptModel trunk, EmbeddingHead head, ITokenizer tokenizer, LoraAdapter? adapter, bool ownsTrunk, bool removeAdapter)
    {
        Trunk = trunk ?? throw new ArgumentNullException(nameof(trunk));
        Head = head ?? throw new ArgumentNullException(nameof(head));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        if (head.Config.TrunkWidth != trunk.Config.EmbeddingSize)
            throw new ArgumentException(
                $"the head reads hidden states of width {head.Config.TrunkWidth}, but the trunk is {trunk.Config.EmbeddingSize} wide; use a head made for this trunk.", nameof(head));
        if (head.Device != trunk.Device)
            throw new ArgumentException($"the head is on {head.Device} but the trunk is on {trunk.Device}; create the head on the trunk's device.", nameof(head));
        if (adapter is not null && (adapter.Model != trunk || trunk.Adapters.GetValueOrDefault(adapter.Name) != adapter))
            throw new ArgumentException($"adapter '{adapter.Name}' is not loaded on the trunk.", nameof(adapter));
        _encoder = new EmbeddingEncoder(tokenizer, head.Config, trunk.Config.ContextLength, trunk.Config.VocabularySize);
        Adapter = adapter;
        _ownsTrunk = ownsTrunk;
        _removeAdapter = removeAdapter;
    }

    /// <summary>The transformer.</summary>
    public GptModel Trunk { get; }

    /// <summary>The head.</summary>
    public EmbeddingHead Head { get; }

    /// <summary>The tokenizer texts are encoded with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The LoRA adapter applied in every pass, or null.</summary>
    public LoraAdapter? Adapter { get; }

    /// <summary>The embeddings' width.</summary>
    public int Dimension => Head.Dimension;

    /// <summary>The most tokens of a text that are embedded (the context, less the two delimiters for end-token pooling);
    /// longer texts are truncated to their first tokens.</summary>
    public int MaxTextTokens => _encoder.MaxTextTokens;

    /// <summary>Mean pooling of <paramref name="trunk"/>'s hidden states without projection: a usable embedder of any model
    /// before contrastive training (and the baseline it is measured against).</summary>
    /// <param name="trunk">The transformer (stays the caller's).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    public static Embedder WithMeanPooling(GptModel trunk, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(trunk);
        var head = new EmbeddingHead(new EmbeddingHeadConfig { Pooling = EmbeddingPooling.Mean, TrunkWidth = trunk.Config.EmbeddingSize }, trunk.Device);
        return new Embedder(trunk, head, tokenizer);
    }

    /// <summary>Loads an embedding model: the trunk of <paramref name="modelDirectory"/> and the head of
    /// <paramref name="headDirectory"/> (the model folder itself when null). Without a head file in either, the embedder
    /// uses mean pooling (<see cref="WithMeanPooling"/>) only when <paramref name="headDirectory"/> is null. The embedder
    /// owns what it loads.</summary>
    /// <param name="modelDirectory">A model folder (a pretrained GPT-2, or one a full contrastive run saved).</param>
    /// <param name="headDirectory">The head folder, or null.</param>
    /// <param name="device">Where the weights go (the CPU when null).</param>
    /// <exception cref="FileNotFoundException">The head folder has no head, or a model file is missing.</exception>
    /// <exception cref="Gpt.Sdk.IO.ModelFileException">The head was trained on a trunk of another width, or its files are corrupt.</exception>
    /// <exception cref="ArgumentException">The tokenizer lacks the head's delimiters.</exception>
    public static Embedder Load(string modelDirectory, string? headDirectory = null, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        var trunk = GptModel.FromPretrained(modelDirectory, device);
        try
        {
            if (headDirectory is null && !EmbeddingHeadFiles.Exists(modelDirectory))
            {
                var tokenizer = TokenizerFiles.Load(modelDirectory);
                var head = new EmbeddingHead(new EmbeddingHeadConfig { Pooling = EmbeddingPooling.Mean, TrunkWidth = trunk.Config.EmbeddingSize }, trunk.Device);
                return new Embedder(trunk, head, tokenizer, null, ownsTrunk: true, removeAdapter: false);
            }

            return FromHead(trunk, TokenizerFiles.Load(modelDirectory), headDirectory ?? modelDirectory, ownsTrunk: true);
        }
        catch
        {
            trunk.Dispose();
            throw;
        }
    }

    /// <summary>An embedder of <paramref name="trunk"/> (a served model, say) with the head of <paramref name="headDirectory"/>.
    /// The trunk is shared when it can read the head's delimiters; otherwise the embedder makes its own copy with their
    /// embedding rows (the memory of a second model). A LoRA adapter in the head folder is loaded onto the trunk under
    /// <see cref="AdapterName"/> and removed again when the embedder is disposed.</summary>
    /// <param name="trunk">The transformer (stays the caller's).</param>
    /// <param name="tokenizer">Its tokenizer, used when the head folder has none.</param>
    /// <param name="headDirectory">The head folder.</param>
    public static Embedder FromHead(GptModel trunk, ITokenizer tokenizer, string headDirectory)
    {
        ArgumentNullException.ThrowIfNull(trunk);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(headDirectory);
        return FromHead(trunk, tokenizer, headDirectory, ownsTrunk: false);
    }

    /// <summary>The L2-normalised embedding of one text.</summary>
    /// <param name="text">The text (not empty).</param>
    /// <exception cref="ArgumentException">The text is empty.</exception>
    public TextEmbedding Embed(string text) => Embed([text])[0];

    /// <summary>The L2-normalised embeddings of <paramref name="texts"/>, in order, several per forward pass.</summary>
    /// <param name="texts">The texts; none may be empty.</param>
    /// <param name="cancellationToken">Cancels between forward passes.</param>
    /// <exception cref="ArgumentException">A text is null or empty; the message gives its index.</exception>
    public IReadOnlyList<TextEmbedding> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var encoded = new (int[] Sequence, int TextTokens, bool Truncated)[texts.Count];
        for (int i = 0; i < texts.Count; i++)
            encoded[i] = _encoder.Encode(texts[i] ?? throw new ArgumentException($"text {i} is null.", nameof(texts)), $"text {i}");

        // Rows of similar length share a pass, so little of it is padding.
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => encoded[i].Sequence.Length).ToArray();
        var results = new TextEmbedding[texts.Count];
        using var tape = new Tape(Trunk.Device);
        using var noGrad = tape.NoGrad();
        int dimension = Dimension;
        for (int first = 0; first < order.Length;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = 1;
            while (first + count < order.Length && count < MaxRowsPerPass
                && (count + 1) * encoded[order[first + count]].Sequence.Length <= MaxTokensPerPass) count++;
            tape.Reset();
            var sequences = new int[count][];
            for (int r = 0; r < count; r++) sequences[r] = encoded[order[first + r]].Sequence;
            float[] vectors = Head.Embed(tape, Trunk, sequences, Adapter, 0).ToArray();    // (count, D)
            for (int r = 0; r < count; r++)
            {
                int index = order[first + r];
                var vector = vectors.AsSpan(r * dimension, dimension).ToArray();
                EmbeddingHead.Normalize(vector);
                results[index] = new TextEmbedding(vector, encoded[index].TextTokens, encoded[index].Truncated);
            }

            first += count;
        }

        return results;
    }

    /// <summary>Saves the embedding model as a head folder that <see cref="Load"/> reads beside the base model folder: the
    /// head files (<c>embedding_head.json</c>, <c>embedding_head.safetensors</c>) and the tokenizer, plus the PEFT adapter
    /// when the trunk is adapted with LoRA; without an adapter the whole trunk is saved too, so the folder is also a
    /// complete model folder.</summary>
    /// <param name="directory">Target folder (created if needed).</param>
    /// <exception cref="NotSupportedException">The tokenizer has no file format.</exception>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (Adapter is { IsMerged: false } adapter)
        {
            TokenizerFiles.Save(Tokenizer, directory);
            PeftAdapterFiles.Save(adapter, directory);
        }
        else
        {
            Trunk.Save(directory, Tokenizer);
        }

        EmbeddingHeadFiles.Save(Head, Trunk, directory);
    }

    /// <summary>Frees the head, the trunk when the embedder loaded or copied it, and the adapter it loaded onto a shared trunk.</summary>
    public void Dispose()
    {
        Head.Dispose();
        if (_ownsTrunk) Trunk.Dispose();
        else if (_removeAdapter && Adapter is not null && Trunk.Adapters.GetValueOrDefault(Adapter.Name) == Adapter) Trunk.RemoveAdapter(Adapter.Name);
    }

    private static Embedder FromHead(GptModel trunk, ITokenizer fallbackTokenizer, string headDirectory, bool ownsTrunk)
    {
        if (!Directory.Exists(headDirectory)) throw new DirectoryNotFoundException($"head folder '{headDirectory}' does not exist.");
        var (head, rows) = EmbeddingHeadFiles.Load(headDirectory, trunk.Config.EmbeddingSize, trunk.Device);
        GptModel? copy = null;
        try
        {
            var tokenizer = BpeTokenizer.LoadFolder(headDirectory) as ITokenizer ?? fallbackTokenizer;
            var config = head.Config;
            if (config.Pooling == EmbeddingPooling.EndToken)
            {
                EmbeddingHead.DelimiterIds(tokenizer);    // a clear error for a tokenizer without the delimiters
                int needed = Math.Max(config.StartTokenId, config.EndTokenId) + 1;
                if (needed > trunk.Config.VocabularySize)
                {
                    copy = TrunkVocabulary.Grow(trunk, needed, seed: 0);
                    if (ownsTrunk) trunk.Dispose();
                    trunk = copy;
                    ownsTrunk = true;
                }

                if (ownsTrunk)
                {
                    int c = trunk.Config.EmbeddingSize;
                    TrunkVocabulary.WriteRows(trunk, config.StartTokenId, rows.AsSpan(0, c));
                    TrunkVocabulary.WriteRows(trunk, config.EndTokenId, rows.AsSpan(c, c));
                }
            }

            LoraAdapter? adapter = PeftAdapterFiles.IsAdapterFolder(headDirectory) ? PeftAdapterFiles.Load(trunk, headDirectory, AdapterName) : null;
            return new Embedder(trunk, head, tokenizer, adapter, ownsTrunk, removeAdapter: adapter is not null && !ownsTrunk);
        }
        catch
        {
            head.Dispose();
            copy?.Dispose();
            throw;
        }
    }
}
