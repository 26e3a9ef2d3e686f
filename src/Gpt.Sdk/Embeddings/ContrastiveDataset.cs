using System.Text.Json;
using Gpt.Kernels.Random;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Training pairs for contrastive embeddings: from a JSONL file of <c>{"query": …, "positive": …, "negatives": [ … ]}</c>
/// lines (<see cref="Load"/>; <c>negatives</c> optional), from memory, or — cpt-text's unsupervised recipe — from plain text,
/// whose neighbouring chunks are positive pairs (<see cref="FromText"/>). Immutable.
/// </summary>
public sealed class ContrastiveDataset
{
    private const ulong SplitStream = 0xC0E7;
    private const string Formats = "each line must be {\"query\": \"...\", \"positive\": \"...\"} with an optional \"negatives\": [\"...\", ...]";

    /// <summary>A dataset of <paramref name="examples"/>.</summary>
    /// <param name="examples">At least one pair; no text may be empty.</param>
    /// <exception cref="ArgumentException">An empty text, or no pairs.</exception>
    public ContrastiveDataset(IEnumerable<ContrastiveExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var list = examples.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var e = list[i] ?? throw new ArgumentException($"example {i} is null.", nameof(examples));
            if (string.IsNullOrEmpty(e.Query) || string.IsNullOrEmpty(e.Positive) || e.Negatives is null || e.Negatives.Any(string.IsNullOrEmpty))
                throw new ArgumentException($"example {i} has an empty query, positive or negative; every text needs at least one character.", nameof(examples));
        }

        if (list.Count == 0) throw new ArgumentException("the dataset has no pairs; contrastive training needs at least two.", nameof(examples));
        Examples = list;
    }

    /// <summary>The pairs.</summary>
    public IReadOnlyList<ContrastiveExample> Examples { get; }

    /// <summary>Number of pairs.</summary>
    public int Count => Examples.Count;

    /// <summary>Reads a JSONL file of pairs.</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels between lines.</param>
    /// <exception cref="TrainingDataException">A line is not such an object, or has an empty text; the message names file and line.</exception>
    public static ContrastiveDataset Load(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"there is no pairs file '{path}'.", path);
        var examples = JsonLines.Read(path, Formats, Parse, cancellationToken).Select(x => x.Item).ToList();
        if (examples.Count == 0) throw new TrainingDataException(path, null, $"the file has no pairs; {Formats}.");
        return new ContrastiveDataset(examples);
    }

    /// <summary>cpt-text's unsupervised pairs: the text is cut into chunks of <paramref name="chunkTokens"/> tokens and
    /// chunks 2k and 2k + 1 form a pair (each chunk is in one pair only, so no pair's positive is another's duplicate).</summary>
    /// <param name="text">The text (at least four chunks long).</param>
    /// <param name="tokenizer">Cuts it into tokens.</param>
    /// <param name="chunkTokens">Tokens per chunk.</param>
    /// <exception cref="ArgumentException">The text gives fewer than two pairs.</exception>
    public static ContrastiveDataset FromText(string text, ITokenizer tokenizer, int chunkTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkTokens);
        int[] tokens = tokenizer.Encode(text);
        int chunks = tokens.Length / chunkTokens;
        if (chunks < 4)
            throw new ArgumentException(
                $"the text has {tokens.Length} tokens, {chunks} chunks of {chunkTokens}; neighbouring-chunk pairs need at least 4 chunks. Give more text or smaller chunks.", nameof(text));
        var examples = new List<ContrastiveExample>(chunks / 2);
        for (int k = 0; k + 1 < chunks; k += 2)
            examples.Add(new ContrastiveExample(
                tokenizer.Decode(tokens.AsSpan(k * chunkTokens, chunkTokens)), tokenizer.Decode(tokens.AsSpan((k + 1) * chunkTokens, chunkTokens))));
        return new ContrastiveDataset(examples);
    }

    /// <summary>Splits the pairs at random into a training and a held-out set of about <paramref name="heldOutFraction"/>
    /// of them; the same seed gives the same split.</summary>
    /// <param name="heldOutFraction">In (0, 1).</param>
    /// <param name="seed">Seed of the split.</param>
    public (ContrastiveDataset Train, ContrastiveDataset HeldOut) Split(double heldOutFraction, ulong seed)
    {
        if (!(heldOutFraction > 0 && heldOutFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "the held-out fraction must be strictly between 0 and 1, such as 0.1 for a tenth.");
        int n = Count;
        int heldOut = (int)Math.Round(heldOutFraction * n, MidpointRounding.AwayFromZero);
        if (heldOut < 2 || n - heldOut < 2)
            throw new InvalidOperationException($"{n} pairs split {n - heldOut}/{heldOut}; each side needs at least 2 pairs. Add pairs or change the fraction.");
        int[] order = SftDataset.Permutation(n, new CounterRng(seed).Fork(SplitStream));
        return (new ContrastiveDataset(order[heldOut..].Order().Select(i => Examples[i])), new ContrastiveDataset(order[..heldOut].Order().Select(i => Examples[i])));
    }

    private static ContrastiveExample Parse(JsonElement line, JsonLines.Problem problem)
    {
        string query = NonEmpty(JsonLines.String(line, "query", problem), "query", problem);
        string positive = NonEmpty(JsonLines.String(line, "positive", problem), "positive", problem);
        if (!line.TryGetProperty("negatives", out var negatives) || negatives.ValueKind == JsonValueKind.Null) return new ContrastiveExample(query, positive);
        if (negatives.ValueKind != JsonValueKind.Array)
            throw problem($"the field \"negatives\" is a JSON {JsonLines.Kind(negatives.ValueKind)}; it must be an array of strings.");
        var list = new List<string>();
        foreach (var item in negatives.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw problem($"\"negatives\" holds a JSON {JsonLines.Kind(item.ValueKind)}; every negative must be a string.");
            list.Add(NonEmpty(item.GetString()!, "negatives", problem));
        }

        return new ContrastiveExample(query, positive, list);
    }

    private static string NonEmpty(string text, string field, JsonLines.Problem problem) =>
        text.Length > 0 ? text : throw problem($"\"{field}\" is empty; an embedding needs at least one character of text.");
}
