using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// A reward model: a GPT trunk with a scalar head named <see cref="HeadName"/> reading the hidden state of the last token
/// of prompt + response (+ the end token when the tokenizer has one), laid out exactly as <see cref="RewardModelObjective"/>
/// trained it. It scores text for PPO (<see cref="IResponseScorer"/>), for ranking, or with <c>gpt score</c>. A reward model
/// folder is a model folder (<see cref="GptModel.Save(string, ITokenizer)"/>: config, weights, tokenizer) plus the head in a
/// file of its own (<c>score_head.safetensors</c>); a LoRA-trained reward model is saved with its adapter merged into the
/// weights, so the folder needs nothing else. Scoring may run concurrently; saving must not overlap it.
/// </summary>
public sealed class RewardModel : IResponseScorer, IDisposable
{
    /// <summary>The head's name (its key prefix in the head file), as TRL's reward models call it.</summary>
    public const string HeadName = "score";

    // Rows per forward pass when scoring: enough to keep the matrix products busy, few enough to bound the memory.
    private const int RowsPerPass = 16;

    private readonly PreferenceEncoder _encoder;
    private readonly bool _ownsTrunk;

    /// <summary>A reward model of <paramref name="trunk"/> and <paramref name="head"/>. The reward model disposes the head,
    /// not the trunk (which stays the caller's).</summary>
    /// <param name="trunk">The transformer.</param>
    /// <param name="head">The score head, as wide as the trunk and on its device.</param>
    /// <param name="tokenizer">The trunk's tokenizer.</param>
    /// <param name="adapter">A LoRA adapter of <paramref name="trunk"/> applied in every pass, or null for the base.</param>
    /// <exception cref="ArgumentException">The head, tokenizer or adapter does not fit the trunk.</exception>
    public RewardModel(GptModel trunk, ScalarHead head, ITokenizer tokenizer, LoraAdapter? adapter = null)
        : this(trunk, head, tokenizer, adapter, ownsTrunk: false)
    {
    }

    private RewardModel(GptModel trunk, ScalarHead head, ITokenizer tokenizer, LoraAdapter? adapter, bool ownsTrunk)
    {
        Trunk = trunk ?? throw new ArgumentNullException(nameof(trunk));
        Head = head ?? throw new ArgumentNullException(nameof(head));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        var config = trunk.Config;
        if (head.Projection.InFeatures != config.EmbeddingSize)
            throw new ArgumentException(
                $"the head reads hidden states of width {head.Projection.InFeatures}, but the trunk is {RewardHeadFiles.Describe(config)}; use a head made for this trunk.",
                nameof(head));
        if (head.Parameters.Device != trunk.Device)
            throw new ArgumentException($"the head is on {head.Parameters.Device} but the trunk is on {trunk.Device}; create the head on the trunk's device.", nameof(head));
        if (tokenizer.VocabularySize > config.VocabularySize)
            throw new ArgumentException(
                $"the tokenizer has {tokenizer.VocabularySize} tokens but the trunk's vocabulary is {config.VocabularySize}: it is not the trunk's tokenizer.",
                nameof(tokenizer));
        if (adapter is not null && (adapter.Model != trunk || trunk.Adapters.GetValueOrDefault(adapter.Name) != adapter))
            throw new ArgumentException($"adapter '{adapter.Name}' is not loaded on the trunk.", nameof(adapter));
        Adapter = adapter;
        _ownsTrunk = ownsTrunk;
        _encoder = new PreferenceEncoder(tokenizer, new PreferenceDataOptions { SequenceLength = config.ContextLength, VocabularySize = config.VocabularySize });
    }

    /// <summary>The transformer.</summary>
    public GptModel Trunk { get; }

    /// <summary>The score head.</summary>
    public ScalarHead Head { get; }

    /// <summary>The tokenizer prompts and responses are encoded with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The LoRA adapter applied in every pass, or null.</summary>
    public LoraAdapter? Adapter { get; }

    /// <summary>A reward model with a new head (weight N(0, 1/(C+1)), bias 0) on <paramref name="trunk"/>, to train.</summary>
    /// <param name="trunk">The transformer (stays the caller's).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="seed">Seed of the head's initial weight.</param>
    /// <param name="adapter">A LoRA adapter of the trunk applied in every pass, or null.</param>
    public static RewardModel Create(GptModel trunk, ITokenizer tokenizer, ulong seed = 0, LoraAdapter? adapter = null)
    {
        ArgumentNullException.ThrowIfNull(trunk);
        var head = new ScalarHead(HeadName, trunk.Config.EmbeddingSize, trunk.Device, seed);
        try
        {
            return new RewardModel(trunk, head, tokenizer, adapter);
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    /// <summary>Loads a reward model folder that <see cref="Save"/> wrote (the model, its tokenizer and its head); the
    /// reward model owns what it loads.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="device">Where the weights go (the CPU when null).</param>
    /// <exception cref="FileNotFoundException">A file is missing: the head (a language model folder, not a reward model)
    /// or a file of the model itself.</exception>
    /// <exception cref="Gpt.Sdk.IO.ModelFileException">The head does not fit the folder's model (another base shape); the
    /// message names both shapes.</exception>
    public static RewardModel Load(string directory, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var trunk = GptModel.FromPretrained(directory, device);
        ScalarHead? head = null;
        try
        {
            head = RewardHeadFiles.Load(directory, trunk, HeadName);
            return new RewardModel(trunk, head, TokenizerFiles.Load(directory), adapter: null, ownsTrunk: true);
        }
        catch
        {
            head?.Dispose();
            trunk.Dispose();
            throw;
        }
    }

    /// <summary>The score of one response to one prompt; higher is better. NaN when prompt + response (+ end token) is
    /// longer than the trunk's context or has no token.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="response">The response.</param>
    public float Score(string prompt, string response) => Score([prompt], [response])[0];

    /// <summary>Scores each response to its prompt, several rows per forward pass. A pair whose tokens do not fit the trunk's
    /// context (or that has none) scores NaN: the model never saw such a sequence, and NaN marks a sample the caller skips.</summary>
    /// <param name="prompts">The prompts.</param>
    /// <param name="responses">The responses, as many as prompts.</param>
    /// <param name="cancellationToken">Cancels between forward passes.</param>
    /// <returns>One score per pair; higher is better.</returns>
    public float[] Score(IReadOnlyList<string> prompts, IReadOnlyList<string> responses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(responses);
        if (prompts.Count != responses.Count)
            throw new ArgumentException($"there are {prompts.Count} prompts but {responses.Count} responses; give one response per prompt.", nameof(responses));
        var scores = new float[prompts.Count];
        var rows = new List<(int Index, int[] Tokens)>(prompts.Count);
        for (int i = 0; i < prompts.Count; i++)
        {
            int[] tokens = _encoder.Sequence(
                prompts[i] ?? throw new ArgumentException($"prompt {i} is null.", nameof(prompts)),
                responses[i] ?? throw new ArgumentException($"response {i} is null.", nameof(responses)));
            if (tokens.Length == 0 || tokens.Length > Trunk.Config.ContextLength) scores[i] = float.NaN;
            else rows.Add((i, tokens));
        }

        // Rows of similar length share a pass, so little of it is padding.
        rows.Sort((a, b) => a.Tokens.Length.CompareTo(b.Tokens.Length));
        using var tape = new Tape(Trunk.Device);
        using var noGrad = tape.NoGrad();
        for (int first = 0; first < rows.Count; first += RowsPerPass)
        {
            cancellationToken.ThrowIfCancellationRequested();
            tape.Reset();
            var pass = rows.GetRange(first, Math.Min(RowsPerPass, rows.Count - first));
            float[] passScores = Forward(tape, pass.Select(r => r.Tokens).ToList());
            for (int r = 0; r < pass.Count; r++) scores[pass[r].Index] = passScores[r];
        }

        return scores;
    }

    /// <summary>Saves the reward model as a folder <see cref="Load"/> reads, and which every model loader also opens as a
    /// language model: <see cref="GptModel.Save(string, ITokenizer)"/>'s files plus <c>score_head.safetensors</c>. With a
    /// LoRA adapter the saved weights have the adapter merged in; the trunk in memory is left exactly as it was.</summary>
    /// <param name="directory">Target folder (created if needed).</param>
    /// <exception cref="NotSupportedException">The tokenizer has no file format.</exception>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (Adapter is { IsMerged: false } adapter)
        {
            // Merging and unmerging round the base weights; the copy puts back the exact values.
            var weights = new float[Trunk.Parameters.Count];
            Trunk.Parameters.CopyValuesTo(weights);
            adapter.Merge();
            try
            {
                Trunk.Save(directory, Tokenizer);
            }
            finally
            {
                adapter.Unmerge();
                Trunk.Parameters.CopyValuesFrom(weights);
            }
        }
        else
        {
            Trunk.Save(directory, Tokenizer);
        }

        RewardHeadFiles.Save(Head, Trunk.Config, directory);
    }

    /// <summary>Frees the head, and the trunk when <see cref="Load"/> loaded it.</summary>
    public void Dispose()
    {
        Head.Dispose();
        if (_ownsTrunk) Trunk.Dispose();
    }

    // Right-padded rows: causal attention keeps padding after a sequence from changing it, so each row's score is read at
    // its own last token.
    private float[] Forward(Tape tape, List<int[]> sequences)
    {
        int length = sequences.Max(s => s.Length);
        var ids = new int[sequences.Count * length];
        var last = new int[sequences.Count];
        for (int r = 0; r < sequences.Count; r++)
        {
            sequences[r].CopyTo(ids, r * length);
            last[r] = r * length + sequences[r].Length - 1;
        }

        var hidden = Trunk.ForwardHidden(tape, ids, sequences.Count, length, new ForwardOptions { Adapter = Adapter });   // (R, T, C)
        return Head.Forward(tape, hidden, last).ToArray();                                                              // (R)
    }
}
