using System.Buffers;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Random;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// A GPT-2-architecture language model: token and position embeddings, <see cref="GptConfig.LayerCount"/>
/// pre-LayerNorm blocks, a final LayerNorm, and an LM head tied to the token embedding. All parameters
/// live in one <see cref="ParameterCollection"/> under Hugging Face GPT-2 keys. The model holds only
/// weights: every forward pass keeps its state on the caller's <see cref="Tape"/>, so one model
/// serves concurrent requests.
/// </summary>
public sealed class GptModel : IDisposable
{
    private readonly Block[] _blocks;

    /// <summary>Builds a model with GPT-2's initialisation.</summary>
    /// <param name="config">The shape; validated.</param>
    /// <param name="device">Where the weights live (the CPU when null).</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public GptModel(GptConfig config, Device? device = null, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        Device = device ?? Device.Cpu;
        Parameters = new ParameterCollection(Device, config.ParameterCount);
        TokenEmbedding = Parameters.Add("wte.weight", new Shape(config.VocabularySize, config.EmbeddingSize));
        PositionEmbedding = Parameters.Add("wpe.weight", new Shape(config.ContextLength, config.EmbeddingSize));
        _blocks = new Block[config.LayerCount];
        for (int i = 0; i < _blocks.Length; i++) _blocks[i] = new Block(Parameters, i, config);
        FinalNorm = new LayerNorm(Parameters, "ln_f", config.EmbeddingSize, config.LayerNormEpsilon);
        InitializeWeights(seed);
    }

    /// <summary>The model's shape.</summary>
    public GptConfig Config { get; }

    /// <summary>The device holding the weights.</summary>
    public Device Device { get; }

    /// <summary>Every parameter, in one contiguous buffer.</summary>
    public ParameterCollection Parameters { get; }

    /// <summary>Token embedding <c>wte</c> (V, C), also the LM head's weight.</summary>
    public Parameter TokenEmbedding { get; }

    /// <summary>Learned absolute positions <c>wpe</c> (context, C).</summary>
    public Parameter PositionEmbedding { get; }

    /// <summary>The transformer blocks, in order.</summary>
    public IReadOnlyList<Block> Blocks => _blocks;

    /// <summary>LayerNorm before the LM head (<c>ln_f</c>).</summary>
    public LayerNorm FinalNorm { get; }

    /// <summary>
    /// Logits (B, T, V) for a batch of token sequences, row-major (B, T).
    /// </summary>
    /// <param name="tape">Records the call (and owns the result); put it in NoGrad() for inference.</param>
    /// <param name="ids">B×T token ids, each in [0, V).</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T, at most the context length.</param>
    /// <param name="dropoutSeed">Seed of this pass's dropout masks (used only while the tape is training).</param>
    public Tensor Forward(Tape tape, ReadOnlySpan<int> ids, int batch, int seqLen, ulong dropoutSeed = 0)
    {
        ArgumentNullException.ThrowIfNull(tape);
        CheckTokens(ids, batch, seqLen, nameof(ids));
        int c = Config.EmbeddingSize;
        var shape = new Shape(batch, seqLen, c);

        int[] positions = ArrayPool<int>.Shared.Rent(ids.Length);
        for (int i = 0; i < ids.Length; i++) positions[i] = i % seqLen;
        var positionIds = tape.Indices(positions.AsSpan(0, ids.Length));
        ArrayPool<int>.Shared.Return(positions);

        var x = tape.Add(
            tape.Embedding(tape.Indices(ids), TokenEmbedding.Value, shape),
            tape.Embedding(positionIds, PositionEmbedding.Value, shape));    // (B, T, C)
        x = tape.Dropout(x, Config.Dropout, CounterRng.Hash(dropoutSeed, 0));
        foreach (var block in _blocks)
            x = block.Forward(tape, x, CounterRng.Hash(dropoutSeed, (ulong)block.Index + 1));
        x = FinalNorm.Forward(tape, x);
        return tape.Linear(x, TokenEmbedding.Value, bias: null);              // (B, T, V), tied head
    }

    /// <summary>
    /// Inference with a key/value cache, for every row of <paramref name="cache"/>: feeds T new tokens per
    /// row at positions <see cref="KvCache.Length"/> .. +T, appends their keys and values, and moves
    /// each row's length on by T. Logits equal <see cref="Forward"/> over the whole sequence (to rounding).
    /// </summary>
    /// <param name="tape">Owns the temporaries and the result; the call does not record (no autograd).</param>
    /// <param name="cache">The cache of this model's shape; every row must have room for T more positions.</param>
    /// <param name="ids">B×T new token ids, row-major (B = <see cref="KvCache.Batch"/>).</param>
    /// <param name="allPositions">True for logits at every new position (B, T, V); false (default) for the last only (B, V).</param>
    public Tensor ForwardCached(Tape tape, KvCache cache, ReadOnlySpan<int> ids, bool allPositions = false)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return ForwardCached(tape, cache, 0, cache.Batch, ids, allPositions);
    }

    /// <summary>
    /// <see cref="ForwardCached(Tape, KvCache, ReadOnlySpan{int}, bool)"/> for cache rows
    /// [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rowCount"/>) only, e.g. to
    /// prefill one prompt of a batch whose prompts differ in length.
    /// </summary>
    /// <param name="tape">Owns the temporaries and the result; the call does not record.</param>
    /// <param name="cache">The cache of this model's shape.</param>
    /// <param name="firstRow">First row fed.</param>
    /// <param name="rowCount">R, rows fed.</param>
    /// <param name="ids">R×T new token ids, row-major.</param>
    /// <param name="allPositions">True for logits (R, T, V); false for the last position's (R, V).</param>
    public Tensor ForwardCached(Tape tape, KvCache cache, int firstRow, int rowCount, ReadOnlySpan<int> ids, bool allPositions = false)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.LayerCount != Config.LayerCount || cache.HeadCount != Config.HeadCount || cache.HeadSize != Config.HeadSize || cache.Device != Device)
            throw new ArgumentException("the cache was made for a model of another shape or device; create it from this model's Config and Device.", nameof(cache));
        if (firstRow < 0 || rowCount < 1 || firstRow + rowCount > cache.Batch)
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"rows [{firstRow}, {firstRow + rowCount}) are not a non-empty range of the cache's {cache.Batch} rows.");
        if (ids.Length == 0 || ids.Length % rowCount != 0)
            throw new ArgumentException($"{ids.Length} token ids do not split into {rowCount} rows of at least one token.", nameof(ids));
        int newLen = ids.Length / rowCount, c = Config.EmbeddingSize;
        CheckTokens(ids, rowCount, newLen, nameof(ids));
        var past = cache.Lengths(firstRow, rowCount);
        for (int r = 0; r < rowCount; r++)
        {
            if (past[r] + newLen > cache.Capacity)
                throw new ArgumentException(
                    $"cache row {firstRow + r} holds {past[r]} of {cache.Capacity} positions; {newLen} more do not fit. Use a cache with more capacity.", nameof(ids));
        }

        using var noGrad = tape.NoGrad();
        int[] positions = ArrayPool<int>.Shared.Rent(ids.Length);
        for (int i = 0; i < ids.Length; i++) positions[i] = past[i / newLen] + i % newLen;
        var positionIds = tape.Indices(positions.AsSpan(0, ids.Length));
        ArrayPool<int>.Shared.Return(positions);
        var pastIds = tape.Indices(past);

        var shape = new Shape(rowCount, newLen, c);
        var x = tape.Add(
            tape.Embedding(tape.Indices(ids), TokenEmbedding.Value, shape),
            tape.Embedding(positionIds, PositionEmbedding.Value, shape));    // (R, T, C)
        foreach (var block in _blocks) x = block.ForwardCached(tape, x, cache, pastIds, firstRow);
        cache.Advance(firstRow, rowCount, newLen);

        if (!allPositions)
        {
            var last = tape.NewTensor(new Shape(rowCount, c));                // (R, C)
            for (int r = 0; r < rowCount; r++)
                Device.Copy(x.Data.Sub(((r + 1) * newLen - 1) * c, c), last.Data.Sub(r * c, c), c);
            x = last;
        }
        x = FinalNorm.Forward(tape, x);
        return tape.Linear(x, TokenEmbedding.Value, bias: null);              // (R, T, V) or (R, V)
    }

    /// <summary>Mean next-token cross-entropy of a batch; targets below zero are masked out.</summary>
    /// <param name="tape">Records the call.</param>
    /// <param name="ids">B×T input ids.</param>
    /// <param name="targets">B×T target ids (usually ids shifted by one), or −1 to ignore a position.</param>
    /// <param name="batch">B.</param>
    /// <param name="seqLen">T.</param>
    /// <param name="dropoutSeed">Seed of this pass's dropout masks.</param>
    public Tensor Loss(Tape tape, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, int batch, int seqLen, ulong dropoutSeed = 0)
    {
        if (targets.Length != ids.Length)
            throw new ArgumentException($"{targets.Length} targets for {ids.Length} input tokens; give one target per token.", nameof(targets));
        int counted = 0;
        foreach (int t in targets)
        {
            if (t >= Config.VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(targets), $"target id {t} is outside the vocabulary of {Config.VocabularySize} tokens.");
            if (t >= 0) counted++;
        }

        var logits = Forward(tape, ids, batch, seqLen, dropoutSeed);
        return tape.CrossEntropy(logits, tape.Indices(targets), counted);
    }

    /// <summary>Re-initialises every weight as GPT-2 does: N(0, 0.02) for matrices and embeddings,
    /// residual projections scaled by 1/sqrt(2·n_layer), LayerNorm gains one, biases zero.</summary>
    /// <param name="seed">The seed; equal seeds give bit-identical weights.</param>
    public void InitializeWeights(ulong seed)
    {
        var values = new float[Parameters.Count];
        ulong stream = new CounterRng(seed).Fork(1).Seed;
        float residualStd = 0.02f / MathF.Sqrt(2f * Config.LayerCount);
        foreach (var p in Parameters.Items)
        {
            var span = values.AsSpan((int)p.Offset, p.Value.Length);
            if (p.Name.EndsWith(".bias", StringComparison.Ordinal)) span.Clear();
            else if (p.Name.Contains(".ln_", StringComparison.Ordinal) || p.Name.StartsWith("ln_f", StringComparison.Ordinal)) span.Fill(1f);
            else
            {
                float std = p.Name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? residualStd : 0.02f;
                FillGaussian(values, (int)p.Offset, p.Value.Length, std, stream);
            }
        }

        Parameters.CopyValuesFrom(values);
    }

    /// <summary>Loads a model from a Hugging Face GPT-2 folder (<c>config.json</c> + <c>model.safetensors</c>).</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="device">Where the weights go (the CPU when null).</param>
    public static GptModel FromPretrained(string directory, Device? device = null) => IO.Gpt2Weights.Load(directory, device);

    /// <summary>Saves the model as a Hugging Face GPT-2 folder; <see cref="FromPretrained"/> loads it back bit-identically.</summary>
    /// <param name="directory">Target folder (created if needed).</param>
    public void Save(string directory) => IO.Gpt2Weights.Save(this, directory);

    /// <summary>Frees the weights.</summary>
    public void Dispose() => Parameters.Dispose();

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

    // Element i of the whole parameter vector gets the i-th Gaussian of the init stream, so the
    // values do not depend on how the fill is split across threads.
    private static void FillGaussian(float[] values, int offset, int count, float std, ulong seed)
    {
        const int chunk = 1 << 16;
        Parallel.For(0, (count + chunk - 1) / chunk, c =>
        {
            int end = Math.Min(count, (c + 1) * chunk);
            for (int i = c * chunk; i < end; i++)
            {
                ulong index = (ulong)(offset + i);
                double u1 = 1.0 - (CounterRng.Hash(seed, 2 * index) >> 11) * (1.0 / (1UL << 53));
                double u2 = (CounterRng.Hash(seed, 2 * index + 1) >> 11) * (1.0 / (1UL << 53));
                values[offset + i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
            }
        });
    }
}
