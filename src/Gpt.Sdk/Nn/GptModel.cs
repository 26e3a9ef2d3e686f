using System.Buffers;
using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Nn;

/// <summary>
/// A GPT-2-architecture transformer: token and position embeddings, <see cref="GptConfig.LayerCount"/>
/// pre-LayerNorm blocks and a final LayerNorm form the trunk, whose one forward path
/// (<see cref="ForwardHidden"/>) returns hidden states (B, T, C) for training, packed batches, or inference
/// with a key/value cache. Heads sit on the trunk: the tied <see cref="LmHead"/> here, scalar heads
/// (<see cref="ScalarHead"/>) beside it. The base weights live in one <see cref="ParameterSegment"/>
/// under Hugging Face GPT-2 keys; LoRA adapters (<see cref="AddLoraAdapter"/>) live in segments of their own
/// on the shared base and are chosen per call. The model holds only weights: each forward pass keeps its
/// state on the caller's <see cref="Tape"/>, so one model serves concurrent requests.
/// </summary>
public sealed class GptModel : IDisposable
{
    private const ulong EmbeddingDropoutSite = 0;

    private readonly Block[] _blocks;
    private readonly Dropout _embeddingDropout;
    private readonly Lock _adapterLock = new();
    private Dictionary<string, LoraAdapter> _adapters = new(StringComparer.Ordinal);

    /// <summary>Builds a model with GPT-2's initialisation.</summary>
    /// <param name="config">The shape; validated.</param>
    /// <param name="device">Where the weights live (the CPU when null).</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public GptModel(GptConfig config, Device? device = null, ulong seed = 0)
        : this(config, device ?? Device.Cpu, allocate: true)
    {
        Parameters.Initialize(seed);
    }

    private GptModel(GptConfig config, Device device, bool allocate)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        Device = device;
        Parameters = new ParameterSegment("base");
        int c = config.EmbeddingSize;
        var init = ParameterInit.Normal(GptConfig.InitStd);
        TokenEmbedding = Parameters.Declare("wte.weight", new Shape(config.VocabularySize, c), init);
        PositionEmbedding = Parameters.Declare("wpe.weight", new Shape(config.ContextLength, c), init);
        _embeddingDropout = new Dropout(config.Dropout, EmbeddingDropoutSite);
        _blocks = new Block[config.LayerCount];
        for (int i = 0; i < _blocks.Length; i++) _blocks[i] = new Block(Parameters, i, config);
        FinalNorm = new LayerNorm(Parameters, "ln_f", c, config.LayerNormEpsilon);
        LmHead = new LanguageModelHead(TokenEmbedding);
        ParameterCount = Parameters.Count;
        if (allocate) Parameters.Allocate(Device);
    }

    /// <summary>The model's shape.</summary>
    public GptConfig Config { get; }

    /// <summary>The device holding the weights.</summary>
    public Device Device { get; }

    /// <summary>The base weights, in one contiguous buffer.</summary>
    public ParameterSegment Parameters { get; }

    /// <summary>Number of base parameters (the LM head is tied to the token embedding).</summary>
    public long ParameterCount { get; }

    /// <summary>How the large matrices are held: fp32, or bf16/int8 for inference (see <see cref="ConvertWeights"/>).</summary>
    public WeightStorage WeightStorage { get; private set; }

    /// <summary>Token embedding <c>wte</c> (V, C), also the LM head's weight.</summary>
    public Parameter TokenEmbedding { get; }

    /// <summary>Learned absolute positions <c>wpe</c> (context, C).</summary>
    public Parameter PositionEmbedding { get; }

    /// <summary>The transformer blocks, in order.</summary>
    public IReadOnlyList<Block> Blocks => _blocks;

    /// <summary>LayerNorm at the end of the trunk (<c>ln_f</c>).</summary>
    public LayerNorm FinalNorm { get; }

    /// <summary>The language-modelling head, tied to <see cref="TokenEmbedding"/>.</summary>
    public LanguageModelHead LmHead { get; }

    /// <summary>Every linear layer of the blocks, in order (what LoRA can target).</summary>
    public IEnumerable<Linear> Linears => _blocks.SelectMany(b => b.Linears);

    /// <summary>The LoRA adapters loaded on this model, by name.</summary>
    public IReadOnlyDictionary<string, LoraAdapter> Adapters => _adapters;

    /// <summary>The adapter whose update is folded into the base weights (see <see cref="LoraAdapter.Merge"/>), or null.</summary>
    public LoraAdapter? MergedAdapter { get; internal set; }

    /// <summary>Number of base parameters a model of <paramref name="config"/>'s shape has, without allocating it.</summary>
    /// <param name="config">The shape.</param>
    public static long ParameterCountOf(GptConfig config) => new GptModel(config, Device.Cpu, allocate: false).ParameterCount;

    /// <summary>
    /// The trunk: hidden states (B, T, C) after the final LayerNorm, for a batch of token sequences, row-major (B, T).
    /// This one path serves training (recorded on the tape), packed batches (<see cref="ForwardOptions.SegmentStarts"/>),
    /// adapters, and cached inference (<see cref="ForwardOptions.Cache"/>; then nothing is recorded).
    /// </summary>
    /// <param name="tape">Records the call and owns the result; put it in NoGrad() for inference.</param>
    /// <param name="ids">B×T token ids, each in [0, V).</param>
    /// <param name="batch">B (with a cache: the rows fed).</param>
    /// <param name="seqLen">T, at most the context length.</param>
    /// <param name="options">Positions, example boundaries, cache, adapter and dropout seed.</param>
    public Tensor ForwardHidden(Tape tape, ReadOnlySpan<int> ids, int batch, int seqLen, in ForwardOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(tape);
        CheckTokens(ids, batch, seqLen, nameof(ids));
        var adapter = CheckAdapter(options.Adapter);
        var cache = options.Cache;
        int[]? past = cache is null ? null : CheckCache(cache, options.CacheFirstRow, batch, seqLen);
        using var noGrad = cache is null ? default(Tape.NoGradScope?) : tape.NoGrad();

        var positionIds = PositionIds(tape, options.Positions, past, batch, seqLen);
        IndexTensor? segmentStarts = null;
        if (options.SegmentStarts is { } starts)
        {
            if (cache is not null) throw new ArgumentException("packed attention (SegmentStarts) cannot be combined with a key/value cache.", nameof(options));
            CheckSegmentStarts(starts, batch, seqLen);
            segmentStarts = tape.Indices(starts);
        }

        var pass = new LayerPass
        {
            Adapter = adapter == MergedAdapter ? null : adapter,
            DropoutSeed = options.DropoutSeed,
            SegmentStarts = segmentStarts,
            Cache = cache,
            PastLengths = past is null ? null : tape.Indices(past),
            FirstRow = options.CacheFirstRow,
        };
        var shape = new Shape(batch, seqLen, Config.EmbeddingSize);
        var tokenIds = tape.Indices(ids);
        var x = tape.Add(
            TokenEmbedding.Compact is { } compact ? tape.CompactEmbedding(tokenIds, compact, shape) : tape.Embedding(tokenIds, TokenEmbedding.Value, shape),
            tape.Embedding(positionIds, PositionEmbedding.Value, shape));    // (B, T, C)
        x = _embeddingDropout.Forward(tape, x, options.DropoutSeed);
        foreach (var block in _blocks) x = block.Forward(tape, x, pass);
        if (cache is not null) cache.Advance(options.CacheFirstRow, batch, seqLen);
        return FinalNorm.Forward(tape, x);                                    // (B, T, C)
    }

    /// <summary>Logits (B, T, V) for a batch of token sequences, row-major (B, T): the trunk and the LM head.</summary>
    /// <param name="tape">Records the call (and owns the result); put it in NoGrad() for inference.</param>
    /// <param name="ids">B×T token ids, each in [0, V).</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T, at most the context length.</param>
    /// <param name="options">Positions, example boundaries, adapter and dropout seed.</param>
    public Tensor Forward(Tape tape, ReadOnlySpan<int> ids, int batch, int seqLen, in ForwardOptions options) =>
        LmHead.Logits(tape, ForwardHidden(tape, ids, batch, seqLen, options));

    /// <summary>Logits (B, T, V) of the base model (no adapter) for a batch of token sequences.</summary>
    /// <param name="tape">Records the call (and owns the result); put it in NoGrad() for inference.</param>
    /// <param name="ids">B×T token ids, each in [0, V).</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T, at most the context length.</param>
    /// <param name="dropoutSeed">Seed of this pass's dropout masks (used only while the tape is training).</param>
    public Tensor Forward(Tape tape, ReadOnlySpan<int> ids, int batch, int seqLen, ulong dropoutSeed = 0) =>
        Forward(tape, ids, batch, seqLen, new ForwardOptions { DropoutSeed = dropoutSeed });

    /// <summary>
    /// Inference with a key/value cache, for every row of <paramref name="cache"/>: feeds T new tokens per
    /// row at positions <see cref="KvCache.Length"/> .. +T, appends their keys and values, and moves
    /// each row's length on by T. Logits equal <see cref="Forward(Tape, ReadOnlySpan{int}, int, int, ulong)"/>
    /// over the whole sequence (to rounding).
    /// </summary>
    /// <param name="tape">Owns the temporaries and the result; the call does not record (no autograd).</param>
    /// <param name="cache">The cache of this model's shape; every row must have room for T more positions.</param>
    /// <param name="ids">B×T new token ids, row-major (B = <see cref="KvCache.Batch"/>).</param>
    /// <param name="allPositions">True for logits at every new position (B, T, V); false (default) for the last only (B, V).</param>
    /// <param name="adapter">The LoRA adapter to apply, or null for the base model.</param>
    public Tensor ForwardCached(Tape tape, KvCache cache, ReadOnlySpan<int> ids, bool allPositions = false, LoraAdapter? adapter = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return ForwardCached(tape, cache, 0, cache.Batch, ids, allPositions, adapter);
    }

    /// <summary>
    /// <see cref="ForwardCached(Tape, KvCache, ReadOnlySpan{int}, bool, LoraAdapter?)"/> for cache rows
    /// [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rowCount"/>) only, e.g. to
    /// prefill one prompt of a batch whose prompts differ in length.
    /// </summary>
    /// <param name="tape">Owns the temporaries and the result; the call does not record.</param>
    /// <param name="cache">The cache of this model's shape.</param>
    /// <param name="firstRow">First row fed.</param>
    /// <param name="rowCount">R, rows fed.</param>
    /// <param name="ids">R×T new token ids, row-major.</param>
    /// <param name="allPositions">True for logits (R, T, V); false for the last position's (R, V).</param>
    /// <param name="adapter">The LoRA adapter to apply, or null for the base model.</param>
    public Tensor ForwardCached(Tape tape, KvCache cache, int firstRow, int rowCount, ReadOnlySpan<int> ids, bool allPositions = false,
        LoraAdapter? adapter = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(cache);
        if (rowCount < 1) throw new ArgumentOutOfRangeException(nameof(rowCount), $"rows [{firstRow}, {firstRow + rowCount}) are not a non-empty range of the cache's {cache.Batch} rows.");
        if (ids.Length == 0 || ids.Length % rowCount != 0)
            throw new ArgumentException($"{ids.Length} token ids do not split into {rowCount} rows of at least one token.", nameof(ids));
        int newLen = ids.Length / rowCount;
        using var noGrad = tape.NoGrad();
        var hidden = ForwardHidden(tape, ids, rowCount, newLen, new ForwardOptions { Cache = cache, CacheFirstRow = firstRow, Adapter = adapter });
        if (!allPositions) hidden = tape.SelectRows(hidden, LastPositions(tape, rowCount, newLen));  // (R, C)
        return LmHead.Logits(tape, hidden);                                    // (R, T, V) or (R, V)
    }

    /// <summary>Mean next-token cross-entropy of a batch; targets below zero are masked out.</summary>
    /// <param name="tape">Records the call.</param>
    /// <param name="ids">B×T input ids.</param>
    /// <param name="targets">B×T target ids (usually ids shifted by one), or −1 to ignore a position.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="dropoutSeed">Seed of this pass's dropout masks.</param>
    public Tensor Loss(Tape tape, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, int batch, int seqLen, ulong dropoutSeed = 0) =>
        Loss(tape, ids, targets, batch, seqLen, new ForwardOptions { DropoutSeed = dropoutSeed });

    /// <summary>Mean next-token cross-entropy of a batch with the given forward options (packing, adapter).</summary>
    /// <param name="tape">Records the call.</param>
    /// <param name="ids">B×T input ids.</param>
    /// <param name="targets">B×T target ids, or −1 to ignore a position.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="options">Positions, example boundaries, adapter and dropout seed.</param>
    public Tensor Loss(Tape tape, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, int batch, int seqLen, in ForwardOptions options)
    {
        if (targets.Length != ids.Length)
            throw new ArgumentException($"{targets.Length} targets for {ids.Length} input tokens; give one target per token.", nameof(targets));
        int counted = LmHead.CheckTargets(targets);
        var logits = Forward(tape, ids, batch, seqLen, options);
        return tape.CrossEntropy(logits, tape.Indices(targets), counted);
    }

    /// <summary>Re-initialises every base weight as GPT-2 does: N(0, 0.02) for matrices and embeddings,
    /// residual projections scaled by 1/√(2·n_layer), LayerNorm gains one, biases zero.</summary>
    /// <param name="seed">The seed; equal seeds give bit-identical weights.</param>
    public void InitializeWeights(ulong seed)
    {
        if (WeightStorage != WeightStorage.Float32)
            throw new InvalidOperationException($"the model holds {WeightStorage} weights for inference; initialise an fp32 model (and convert it afterwards).");
        Parameters.Initialize(seed);
    }

    /// <summary>
    /// Adds a LoRA adapter on this model's linear layers (<see cref="LoraConfig.TargetModules"/>), with A
    /// Kaiming-uniform and B zero as PEFT does, so the adapted model starts equal to the base. The base is
    /// shared, never copied; the adapter is applied only to passes that name it.
    /// </summary>
    /// <param name="name">The adapter's name, unique on this model.</param>
    /// <param name="config">Rank, alpha, dropout and targets; validated.</param>
    /// <param name="seed">Seed of A's initial values.</param>
    /// <param name="freezeBase">True (default, as PEFT) to freeze the base weights, so training updates only adapters and heads.</param>
    public LoraAdapter AddLoraAdapter(string name, LoraConfig config, ulong seed = 0, bool freezeBase = true)
    {
        var adapter = new LoraAdapter(this, name, config);
        adapter.Parameters.Initialize(seed);
        Register(adapter);
        if (freezeBase) Parameters.Trainable = false;
        return adapter;
    }

    /// <summary>Registers an adapter made for this model (loaded from a file, say).</summary>
    /// <param name="adapter">The adapter; its name must be new here.</param>
    internal void Register(LoraAdapter adapter)
    {
        if (adapter.Model != this) throw new ArgumentException($"adapter '{adapter.Name}' was made for another model.", nameof(adapter));
        lock (_adapterLock)
        {
            if (_adapters.ContainsKey(adapter.Name))
            {
                adapter.Dispose();
                throw new ArgumentException($"an adapter named '{adapter.Name}' is already loaded; remove it first or choose another name.", nameof(adapter));
            }

            // Copy-on-write: concurrent passes read the dictionary without taking the lock.
            _adapters = new Dictionary<string, LoraAdapter>(_adapters, StringComparer.Ordinal) { [adapter.Name] = adapter };
        }
    }

    /// <summary>The adapter loaded under <paramref name="name"/>.</summary>
    /// <param name="name">The adapter's name.</param>
    /// <exception cref="KeyNotFoundException">No adapter of that name is loaded; the message lists those that are.</exception>
    public LoraAdapter GetAdapter(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _adapters.TryGetValue(name, out var adapter)
            ? adapter
            : throw new KeyNotFoundException(_adapters.Count == 0
                ? $"no adapter named '{name}' is loaded: this model has no adapters. Load or add one first."
                : $"no adapter named '{name}' is loaded; loaded adapters: {string.Join(", ", _adapters.Keys.Order(StringComparer.Ordinal))}.");
    }

    /// <summary>Unloads an adapter and frees its weights (unmerging it first if merged).</summary>
    /// <param name="name">The adapter's name.</param>
    public void RemoveAdapter(string name)
    {
        var adapter = GetAdapter(name);
        if (adapter.IsMerged) adapter.Unmerge();
        lock (_adapterLock)
        {
            var remaining = new Dictionary<string, LoraAdapter>(_adapters, StringComparer.Ordinal);
            remaining.Remove(name);
            _adapters = remaining;
        }

        adapter.Dispose();
    }

    /// <summary>Every parameter segment: the base, then each adapter's.</summary>
    public IEnumerable<ParameterSegment> Segments => [Parameters, .. _adapters.Values.Select(a => a.Parameters)];

    /// <summary>Loads a model from a Hugging Face GPT-2 folder (<c>config.json</c> + <c>model.safetensors</c>, F32, F16 or
    /// BF16), such as <see cref="Save(string, ITokenizer)"/> writes; its tokenizer is loaded with <see cref="TokenizerFiles.Load"/>.</summary>
    /// <param name="directory">The folder.</param>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it and says how such a folder is written.</exception>
    /// <param name="device">Where the weights go (the CPU when null).</param>
    /// <param name="weights">How the large matrices are held: fp32 (default), or bf16/int8 for faster, smaller inference
    /// (see <see cref="ConvertWeights"/>; the file is read as fp32 first, then converted).</param>
    public static GptModel FromPretrained(string directory, Device? device = null, WeightStorage weights = WeightStorage.Float32)
    {
        CheckStorage(weights, device ?? Device.Cpu);
        var config = GptModelFiles.ReadConfig(directory);
        var model = new GptModel(config, device ?? Device.Cpu, allocate: true);
        try
        {
            GptModelFiles.LoadWeights(directory, model);
            model.ConvertWeights(weights);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Saves the model as a complete model folder, the one every loader opens: <c>config.json</c> and
    /// <c>model.safetensors</c> (a Hugging Face GPT-2 folder, which <see cref="FromPretrained"/> loads back bit-identically)
    /// and the tokenizer's files (<see cref="TokenizerFiles.Save"/>), so <c>AddGpt(gpt =&gt; gpt.FromPretrained(folder))</c>,
    /// <c>gpt generate</c>, <c>gpt chat</c> and <see cref="TokenizerFiles.Load"/> serve it as it is. Files of the same name
    /// are replaced. The base model only: LoRA adapters are saved with <c>PeftAdapterFiles.Save</c>.
    /// </summary>
    /// <param name="directory">Target folder (created if needed).</param>
    /// <param name="tokenizer">The model's tokenizer: a <see cref="BpeTokenizer"/> or <see cref="CharTokenizer"/> whose ids fit
    /// the model's vocabulary. It is checked before anything is written.</param>
    /// <exception cref="NotSupportedException">The tokenizer has no file format (another <see cref="ITokenizer"/>).</exception>
    /// <exception cref="ArgumentException">The tokenizer has more tokens than the model's vocabulary.</exception>
    public void Save(string directory, ITokenizer tokenizer) => GptModelFiles.Save(this, directory, tokenizer);

    /// <summary>
    /// Saves only the weights and the config (<c>config.json</c> + <c>model.safetensors</c>), what Hugging Face's
    /// <c>save_pretrained</c> writes for a model: <see cref="FromPretrained"/> loads it back bit-identically, but a model is
    /// not served without its tokenizer, so this is not yet a folder <c>AddGpt</c> or <c>gpt chat</c> opens. Use
    /// <see cref="Save(string, ITokenizer)"/> for that; this overload is for writing the weights beside tokenizer files
    /// that are already there or are copied in as they are.
    /// </summary>
    /// <param name="directory">Target folder (created if needed).</param>
    public void Save(string directory) => GptModelFiles.Save(this, directory);

    /// <summary>
    /// Holds the large matrices (every linear layer's weight and the token embedding / LM head) as bf16 or int8 from now on,
    /// computing in fp32: decoding reads 2 (bf16) or about 1.06 (int8) bytes a weight instead of 4, and the fp32 copies are
    /// freed. bf16 also rounds the other weights to bf16, so the model equals its saved BF16 file; int8 quantizes with
    /// <see cref="Kernels.Quantization.Q8Blocks"/> (llama.cpp's Q8_0), keeping biases, LayerNorms and positions fp32.
    /// One way only: the model then serves inference (LoRA adapters included) but cannot be trained, have an adapter
    /// merged, or go back to fp32 — load it again for that. Not for use while requests run on the model.
    /// </summary>
    /// <param name="storage">The storage wanted; the current one does nothing.</param>
    /// <exception cref="InvalidOperationException">The model already holds another compact storage, or an adapter is merged.</exception>
    /// <exception cref="NotSupportedException">The device is not the CPU, or (int8) the embedding size is not a multiple of 32.</exception>
    public void ConvertWeights(WeightStorage storage)
    {
        CheckStorage(storage, Device);
        if (storage == WeightStorage) return;
        if (WeightStorage != WeightStorage.Float32)
            throw new InvalidOperationException($"the model already holds {WeightStorage} weights; {storage} is made from fp32 weights: load the model again with {storage}.");
        if (MergedAdapter is not null)
            throw new InvalidOperationException($"adapter '{MergedAdapter.Name}' is merged into the base weights; unmerge it before converting the weights.");
        WeightConversion.Convert(this, storage);
        WeightStorage = storage;
    }

    /// <summary>Frees the weights and every adapter.</summary>
    public void Dispose()
    {
        foreach (var adapter in _adapters.Values) adapter.Dispose();
        Parameters.Dispose();
    }

    private static void CheckStorage(WeightStorage storage, Device device)
    {
        if (!Enum.IsDefined(storage)) throw new ArgumentOutOfRangeException(nameof(storage), storage, "weights are Float32, BFloat16 or Int8.");
        if (storage != WeightStorage.Float32 && device.Kind != DeviceKind.Cpu)
            throw new NotSupportedException($"{storage} weights are CPU-only for now; the {device.Kind} device computes with fp32 weights. " +
                "Load the model on the CPU, or with WeightStorage.Float32.");
    }

    private LoraAdapter? CheckAdapter(LoraAdapter? adapter)
    {
        if (adapter is not null && (adapter.Model != this || !_adapters.TryGetValue(adapter.Name, out var loaded) || loaded != adapter))
            throw new ArgumentException($"adapter '{adapter.Name}' is not loaded on this model.", nameof(adapter));
        if (MergedAdapter is not null && adapter != MergedAdapter)
            throw new InvalidOperationException(
                $"adapter '{MergedAdapter.Name}' is merged into the base weights, so the base model and other adapters are not available; unmerge it first.");
        return adapter;
    }

    private int[] CheckCache(KvCache cache, int firstRow, int rowCount, int newLen)
    {
        if (cache.LayerCount != Config.LayerCount || cache.HeadCount != Config.HeadCount || cache.HeadSize != Config.HeadSize || cache.Device != Device)
            throw new ArgumentException("the cache was made for a model of another shape or device; create it from this model's Config and Device.", nameof(cache));
        if (firstRow < 0 || rowCount < 1 || firstRow + rowCount > cache.Batch)
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"rows [{firstRow}, {firstRow + rowCount}) are not a non-empty range of the cache's {cache.Batch} rows.");
        var past = cache.Lengths(firstRow, rowCount).ToArray();
        for (int r = 0; r < rowCount; r++)
        {
            if (past[r] + newLen > cache.Capacity)
                throw new ArgumentException(
                    $"cache row {firstRow + r} holds {past[r]} of {cache.Capacity} positions; {newLen} more do not fit. Use a cache with more capacity.", "ids");
        }

        return past;
    }

    private IndexTensor PositionIds(Tape tape, int[]? positions, int[]? past, int batch, int seqLen)
    {
        int n = batch * seqLen;
        if (positions is not null)
        {
            if (past is not null) throw new ArgumentException("explicit positions cannot be combined with a key/value cache (the cache sets them).", nameof(positions));
            if (positions.Length != n) throw new ArgumentException($"{positions.Length} position ids for {batch} × {seqLen} tokens.", nameof(positions));
            foreach (int p in positions)
                if ((uint)p >= (uint)Config.ContextLength)
                    throw new ArgumentOutOfRangeException(nameof(positions), $"position {p} is outside the model's context of {Config.ContextLength}.");
            return tape.Indices(positions);
        }

        int[] rented = ArrayPool<int>.Shared.Rent(n);
        for (int i = 0; i < n; i++) rented[i] = (past is null ? 0 : past[i / seqLen]) + i % seqLen;
        var ids = tape.Indices(rented.AsSpan(0, n));
        ArrayPool<int>.Shared.Return(rented);
        return ids;
    }

    private static void CheckSegmentStarts(int[] starts, int batch, int seqLen)
    {
        if (starts.Length != batch * seqLen)
            throw new ArgumentException($"{starts.Length} segment starts for {batch} × {seqLen} tokens.", nameof(starts));
        for (int i = 0; i < starts.Length; i++)
        {
            int t = i % seqLen;
            if (starts[i] < 0 || starts[i] > t || (t > 0 && starts[i] != starts[i - 1] && starts[i] != t))
                throw new ArgumentException($"segment start {starts[i]} at row {i / seqLen}, position {t} does not describe contiguous examples; " +
                    "each token's start is its example's first index in the row.", nameof(starts));
        }
    }

    private static IndexTensor LastPositions(Tape tape, int rows, int seqLen)
    {
        Span<int> last = rows <= 256 ? stackalloc int[rows] : new int[rows];
        for (int r = 0; r < rows; r++) last[r] = (r + 1) * seqLen - 1;
        return tape.Indices(last);
    }

    private void CheckTokens(ReadOnlySpan<int> ids, int batch, int seqLen, string name)
    {
        if (batch <= 0 || seqLen <= 0)
            throw new ArgumentOutOfRangeException(nameof(batch), $"batch ({batch}) and sequence length ({seqLen}) must be positive.");
        if (seqLen > Config.ContextLength)
            throw new ArgumentOutOfRangeException(nameof(seqLen),
                $"a sequence of {seqLen} tokens is longer than the model's context of {Config.ContextLength}; shorten it or keep its last {Config.ContextLength} tokens.");
        if (ids.Length != (long)batch * seqLen)
            throw new ArgumentException($"{ids.Length} token ids do not form a batch of {batch} × {seqLen}.", name);
        foreach (int id in ids)
            if ((uint)id >= (uint)Config.VocabularySize)
                throw new ArgumentOutOfRangeException(name, $"token id {id} is outside the vocabulary of {Config.VocabularySize} tokens.");
    }
}
