using Gpt.Kernels.Random;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// Tokenized supervised fine-tuning examples, each with its loss mask, every one of which fits the sequence
/// length and has at least one target that carries loss. Read with <see cref="Load"/> (JSONL) or
/// <see cref="FromExamples"/>; batched by <see cref="SftBatchSource"/>; split into training and held-out
/// sets by <see cref="Split"/>. Immutable.
/// </summary>
public sealed class SftDataset
{
    // A stream of its own, so the split and a batch order drawn from the same seed are independent.
    private const ulong SplitStream = 0x5F117;

    private readonly TokenizedExample[] _examples;

    /// <summary>Creates a dataset from examples tokenized elsewhere.</summary>
    /// <param name="examples">The examples; at least one.</param>
    /// <param name="sequenceLength">Tokens per training row (T); every example of n tokens must have n − 1 ≤ T.</param>
    /// <exception cref="ArgumentException">An example is too long or carries no loss, or there is none.</exception>
    public SftDataset(IEnumerable<TokenizedExample> examples, int sequenceLength)
        : this(Checked(examples, sequenceLength), sequenceLength, [])
    {
    }

    private SftDataset(TokenizedExample[] examples, int sequenceLength, int[] skippedLines)
    {
        _examples = examples;
        SequenceLength = sequenceLength;
        SkippedLines = skippedLines;
        foreach (var example in examples)
        {
            TokenCount += example.Tokens.Length;
            TargetCount += example.TargetCount;
        }
    }

    /// <summary>The examples, in file order (for a split, in the order of the file they came from).</summary>
    public IReadOnlyList<TokenizedExample> Examples => _examples;

    /// <summary>Number of examples.</summary>
    public int Count => _examples.Length;

    /// <summary>Tokens per training row (T) that every example fits.</summary>
    public int SequenceLength { get; }

    /// <summary>Tokens in all examples.</summary>
    public long TokenCount { get; }

    /// <summary>Targets that carry loss in all examples: the tokens one epoch learns.</summary>
    public long TargetCount { get; }

    /// <summary>Examples left out for being longer than the context (<see cref="OverlongExampleHandling.Skip"/>).</summary>
    public int SkippedCount => SkippedLines.Count;

    /// <summary>The 1-based lines (or in-memory example numbers) of the skipped examples. Empty for a
    /// dataset made by <see cref="Split"/> or from tokenized examples.</summary>
    public IReadOnlyList<int> SkippedLines { get; }

    /// <summary>Reads and tokenizes a JSONL file of examples (see <see cref="SftExample"/> for the formats). Nothing is
    /// returned unless the whole file is good.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">Sequence length, chat template, loss and length policy.</param>
    /// <param name="cancellationToken">Cancels between lines.</param>
    /// <exception cref="TrainingDataException">A line is bad (named with its line number), or the file has no usable example.</exception>
    public static SftDataset Load(string path, ITokenizer tokenizer, SftDataOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path))
            throw new FileNotFoundException($"the fine-tuning data file '{path}' does not exist; give the path of a JSONL file with one example per line.", path);
        return Build(SftJsonLines.Read(path, cancellationToken), path, tokenizer, options, cancellationToken);
    }

    /// <summary>Tokenizes in-memory examples; problems are reported as <c>example N</c> (1-based).</summary>
    /// <param name="examples">The examples.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">Sequence length, chat template, loss and length policy.</param>
    /// <param name="cancellationToken">Cancels between examples.</param>
    /// <exception cref="TrainingDataException">An example is bad, or none is usable.</exception>
    public static SftDataset FromExamples(IEnumerable<SftExample> examples, ITokenizer tokenizer, SftDataOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        return Build(examples.Select((example, i) => (example, i + 1)), null, tokenizer, options, cancellationToken);
    }

    private static SftDataset Build(IEnumerable<(SftExample Example, int Line)> examples, string? fileName, ITokenizer tokenizer,
        SftDataOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var encoder = new SftEncoder(tokenizer, options);
        int limit = options.SequenceLength;
        var kept = new List<TokenizedExample>();
        var skipped = new List<int>();
        foreach (var (example, line) in examples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tokenized = encoder.Encode(example, fileName, line);
            if (tokenized.PairCount <= limit)
            {
                kept.Add(tokenized);
                continue;
            }
            if (options.OverlongExamples == OverlongExampleHandling.Refuse)
                throw new TrainingDataException(fileName, line,
                    $"the example is {tokenized.Tokens.Length} tokens, {tokenized.PairCount} input/target pairs, more than the sequence length of {limit}; " +
                    $"shorten it, raise SequenceLength to at least {tokenized.PairCount} (within the model's context), or set OverlongExamples to Skip to leave it out.");
            skipped.Add(line);
        }

        if (kept.Count == 0)
            throw new TrainingDataException(fileName, null, skipped.Count == 0
                ? "there are no examples; give one JSON object per line, such as {\"prompt\": \"...\", \"completion\": \"...\"}."
                : $"all {skipped.Count} examples are longer than the sequence length of {limit} and were skipped; raise SequenceLength or shorten the examples.");
        return new SftDataset([.. kept], limit, [.. skipped]);
    }

    /// <summary>
    /// Splits the examples at random into a training set and a held-out set of about
    /// <paramref name="heldOutFraction"/> of them: round(fraction × Count), at least one and at most Count − 1.
    /// The split is a pure function of the examples and <paramref name="seed"/>; each side keeps file order.
    /// </summary>
    /// <param name="heldOutFraction">Share of examples held out, strictly between 0 and 1.</param>
    /// <param name="seed">Seed of the split.</param>
    /// <exception cref="InvalidOperationException">There are fewer than two examples.</exception>
    public (SftDataset Train, SftDataset HeldOut) Split(double heldOutFraction, ulong seed)
    {
        if (!(heldOutFraction > 0 && heldOutFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction,
                "the held-out fraction must be strictly between 0 and 1, such as 0.1 for a tenth.");
        int n = _examples.Length;
        if (n < 2)
            throw new InvalidOperationException(
                $"the dataset has {n} example; a split needs at least 2, one for training and one held out. Add examples, or evaluate on a separate file.");
        int heldOut = Math.Clamp((int)Math.Round(heldOutFraction * n, MidpointRounding.AwayFromZero), 1, n - 1);
        int[] order = Permutation(n, new CounterRng(seed).Fork(SplitStream));
        bool[] isHeldOut = new bool[n];
        for (int i = 0; i < heldOut; i++) isHeldOut[order[i]] = true;
        var train = new List<TokenizedExample>(n - heldOut);
        var held = new List<TokenizedExample>(heldOut);
        for (int i = 0; i < n; i++) (isHeldOut[i] ? held : train).Add(_examples[i]);
        return (new SftDataset([.. train], SequenceLength, []), new SftDataset([.. held], SequenceLength, []));
    }

    /// <summary>A uniform permutation of 0 .. n−1 (Fisher–Yates), a pure function of the stream.</summary>
    internal static int[] Permutation(int n, CounterRng rng)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static TokenizedExample[] Checked(IEnumerable<TokenizedExample> examples, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        TokenizedExample[] array = [.. examples];
        if (array.Length == 0) throw new ArgumentException("there are no examples; give at least one.", nameof(examples));
        for (int i = 0; i < array.Length; i++)
        {
            var example = array[i] ?? throw new ArgumentException($"example {i} is null.", nameof(examples));
            if (example.PairCount > sequenceLength)
                throw new ArgumentException(
                    $"example {i} has {example.Tokens.Length} tokens, {example.PairCount} input/target pairs, more than the sequence length of {sequenceLength}; leave it out or raise the sequence length.",
                    nameof(examples));
            if (example.TargetCount == 0)
                throw new ArgumentException($"example {i} has no target that carries loss (loss mask false from token 1 on); mark the tokens to learn.", nameof(examples));
        }
        return array;
    }
}
