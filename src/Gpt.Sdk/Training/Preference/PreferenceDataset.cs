using Gpt.Kernels.Random;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// Tokenized preference pairs for a reward model or DPO, grouped by prompt: a pair line is a group of one pair, a ranked
/// list of K responses a group of its K·(K−1)/2 pairs, which are trained in one batch (InstructGPT). Every pair fits the
/// sequence length. Read with <see cref="Load"/> (JSONL) or <see cref="FromExamples"/>; split into training and
/// held-out sets by prompt with <see cref="Split"/>. Immutable.
/// </summary>
public sealed class PreferenceDataset
{
    // A stream of its own, so the split and a batch order drawn from the same seed are independent.
    private const ulong SplitStream = 0x9AE5;

    private readonly TokenizedPreference[][] _groups;

    /// <summary>Creates a dataset from pairs tokenized elsewhere; pairs with equal <see cref="TokenizedPreference.Group"/>
    /// form one group (in order of first appearance).</summary>
    /// <param name="pairs">The pairs; at least one.</param>
    /// <param name="sequenceLength">Tokens a prompt + response may take; every pair must fit.</param>
    /// <exception cref="ArgumentException">A pair is too long, or there is none.</exception>
    public PreferenceDataset(IEnumerable<TokenizedPreference> pairs, int sequenceLength)
        : this(Grouped(pairs, sequenceLength), sequenceLength, [])
    {
    }

    private PreferenceDataset(TokenizedPreference[][] groups, int sequenceLength, int[] skippedLines)
    {
        _groups = groups;
        SequenceLength = sequenceLength;
        SkippedLines = skippedLines;
        Pairs = [.. groups.SelectMany(g => g)];
    }

    /// <summary>Every pair, group by group.</summary>
    public IReadOnlyList<TokenizedPreference> Pairs { get; }

    /// <summary>The groups (one per prompt line), each the pairs trained together.</summary>
    public IReadOnlyList<IReadOnlyList<TokenizedPreference>> Groups => _groups;

    /// <summary>Number of pairs.</summary>
    public int Count => Pairs.Count;

    /// <summary>Tokens a prompt + response may take, which every pair fits.</summary>
    public int SequenceLength { get; }

    /// <summary>Lines left out for being longer than <see cref="SequenceLength"/> (<see cref="OverlongExampleHandling.Skip"/>).</summary>
    public int SkippedCount => SkippedLines.Count;

    /// <summary>The 1-based lines (or in-memory example numbers) of the skipped examples. Empty for a dataset made by
    /// <see cref="Split"/> or from tokenized pairs.</summary>
    public IReadOnlyList<int> SkippedLines { get; }

    /// <summary>Reads and tokenizes a JSONL file of preferences: <c>{"prompt", "chosen", "rejected"}</c> or
    /// <c>{"prompt", "responses": [best, ..., worst]}</c> per line. Nothing is returned unless the whole file is good.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">Sequence length and length policy.</param>
    /// <param name="cancellationToken">Cancels between lines.</param>
    /// <exception cref="TrainingDataException">A line is bad (named with its line number: chosen equal to rejected, an
    /// empty response, ...), or the file has no usable preference.</exception>
    public static PreferenceDataset Load(string path, ITokenizer tokenizer, PreferenceDataOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path))
            throw new FileNotFoundException($"the preference data file '{path}' does not exist; give the path of a JSONL file with one preference per line.", path);
        return Build(PreferenceJsonLines.Read(path, cancellationToken), path, tokenizer, options, cancellationToken);
    }

    /// <summary>Tokenizes in-memory examples; problems are reported as <c>example N</c> (1-based).</summary>
    /// <param name="examples">The examples.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">Sequence length and length policy.</param>
    /// <param name="cancellationToken">Cancels between examples.</param>
    /// <exception cref="TrainingDataException">An example is bad, or none is usable.</exception>
    public static PreferenceDataset FromExamples(IEnumerable<PreferenceExample> examples, ITokenizer tokenizer, PreferenceDataOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        return Build(examples.Select((example, i) => (example, i + 1)), null, tokenizer, options, cancellationToken);
    }

    /// <summary>
    /// Splits the groups (prompts) at random into a training set and a held-out set of about
    /// <paramref name="heldOutFraction"/> of them, so no prompt is on both sides; the same seed gives the same split.
    /// </summary>
    /// <param name="heldOutFraction">Fraction of groups held out, strictly between 0 and 1.</param>
    /// <param name="seed">Seed of the split.</param>
    /// <exception cref="InvalidOperationException">Fewer than two groups.</exception>
    public (PreferenceDataset Train, PreferenceDataset HeldOut) Split(double heldOutFraction, ulong seed)
    {
        if (!(heldOutFraction > 0 && heldOutFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction,
                "the held-out fraction must be strictly between 0 and 1, such as 0.1 for a tenth.");
        int n = _groups.Length;
        if (n < 2)
            throw new InvalidOperationException(
                $"the dataset has {n} prompt; a split needs at least 2, one for training and one held out. Add preferences, or evaluate on a separate file.");
        int heldOut = Math.Clamp((int)Math.Round(heldOutFraction * n, MidpointRounding.AwayFromZero), 1, n - 1);
        int[] order = SftDataset.Permutation(n, new CounterRng(seed).Fork(SplitStream));
        bool[] isHeldOut = new bool[n];
        for (int i = 0; i < heldOut; i++) isHeldOut[order[i]] = true;
        var train = new List<TokenizedPreference[]>(n - heldOut);
        var held = new List<TokenizedPreference[]>(heldOut);
        for (int i = 0; i < n; i++) (isHeldOut[i] ? held : train).Add(_groups[i]);
        return (new PreferenceDataset([.. train], SequenceLength, []), new PreferenceDataset([.. held], SequenceLength, []));
    }

    private static PreferenceDataset Build(IEnumerable<(PreferenceExample Example, int Line)> examples, string? fileName, ITokenizer tokenizer,
        PreferenceDataOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var encoder = new PreferenceEncoder(tokenizer, options);
        int limit = options.SequenceLength;
        var groups = new List<TokenizedPreference[]>();
        var skipped = new List<int>();
        foreach (var (example, line) in examples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (pairs, longest) = encoder.Encode(example, groups.Count, limit, fileName, line);
            if (longest <= limit)
            {
                groups.Add(pairs);
                continue;
            }
            if (options.OverlongExamples == OverlongExampleHandling.Refuse)
                throw new TrainingDataException(fileName, line,
                    $"the prompt and its longest response are {longest} tokens, more than the sequence length of {limit}; " +
                    "shorten the prompt or the response, raise the sequence length (up to the model's context), or skip such lines.");
            skipped.Add(line);
        }

        if (groups.Count == 0)
            throw new TrainingDataException(fileName, null, skipped.Count > 0
                ? $"every one of the {skipped.Count} preferences is longer than the sequence length of {limit}; raise it (up to the model's context) or shorten the data."
                : "there are no preferences; give one JSON object per line.");
        return new PreferenceDataset([.. groups], limit, [.. skipped]);
    }

    private static TokenizedPreference[][] Grouped(IEnumerable<TokenizedPreference> pairs, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 2);
        var groups = new List<List<TokenizedPreference>>();
        var index = new Dictionary<int, int>();
        foreach (var pair in pairs)
        {
            ArgumentNullException.ThrowIfNull(pair, nameof(pairs));
            if (pair.Length > sequenceLength)
                throw new ArgumentException($"a pair needs {pair.Length} tokens, more than the sequence length of {sequenceLength}.", nameof(pairs));
            if (!index.TryGetValue(pair.Group, out int g))
            {
                index[pair.Group] = g = groups.Count;
                groups.Add([]);
            }
            groups[g].Add(pair);
        }
        if (groups.Count == 0) throw new ArgumentException("there are no pairs; give at least one.", nameof(pairs));
        return [.. groups.Select(g => g.ToArray())];
    }
}
