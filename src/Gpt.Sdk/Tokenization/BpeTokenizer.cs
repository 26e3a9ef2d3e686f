using System.Buffers;
using System.Collections.ObjectModel;
using System.Text;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE tokenizer: ids identical to tiktoken's <c>gpt2</c> (<c>r50k_base</c>) and
/// Hugging Face's GPT-2 tokenizer on any input. Text is split into pieces by GPT-2's pattern, each
/// piece becomes its UTF-8 bytes (one token per byte), and adjacent tokens are merged by rank. Every
/// byte has a token, so there is never an unknown token. Immutable and thread-safe; load one with
/// <see cref="FromPretrained"/> or train one with <see cref="BpeTrainer"/>.
/// </summary>
public sealed partial class BpeTokenizer : ITokenizer
{
    private const byte Unassigned = 0, Ordinary = 1, Special = 2;
    private const int DecodePadding = 16; // lets Decode copy short tokens 16 bytes at a time

    private readonly byte[] _tokenBytes;      // every token's bytes back to back (specials: their UTF-8 text), padded
    private readonly int[] _tokenOffsets;     // id -> start in _tokenBytes; [VocabularySize] is the end
    private readonly byte[] _tokenKinds;      // id -> Unassigned / Ordinary / Special
    private readonly int[] _byteToId = new int[256];
    private readonly MergeTable _mergeTable;
    private readonly BpeMerge[]? _merges;     // rank order; null when ranks come from token ids (tiktoken files)
    private readonly Dictionary<string, int>? _wholeTokens;   // byte-level spelling -> id, tiktoken files only
    private readonly Dictionary<string, int> _specialTokens;
    private readonly SearchValues<string>? _specialTokenSearch;
    private readonly PieceCache _cache = new();

    /// <param name="tokens">Bytes of each ordinary token by id; null for special or unused ids.</param>
    /// <param name="merges">
    /// The merges in rank order (Hugging Face and OpenAI files), or null when a token's rank is its id
    /// and any two adjacent tokens whose concatenation is a token may merge (tiktoken files).
    /// </param>
    /// <param name="specialTokens">Special token texts and ids; the ids must be free in <paramref name="tokens"/>.</param>
    internal BpeTokenizer(IReadOnlyList<byte[]?> tokens, IReadOnlyList<BpeMerge>? merges, IReadOnlyDictionary<string, int> specialTokens)
    {
        int size = tokens.Count;
        foreach (int id in specialTokens.Values) size = Math.Max(size, id + 1);
        VocabularySize = size;

        _tokenKinds = new byte[size];
        _tokenOffsets = new int[size + 1];
        var specialById = new Dictionary<int, string>();
        foreach (var (text, id) in specialTokens)
        {
            if (string.IsNullOrEmpty(text)) throw new ArgumentException("a special token text must not be null or empty.", nameof(specialTokens));
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(specialTokens), id, $"special token '{text}' has a negative id.");
            if (id < tokens.Count && tokens[id] is not null)
                throw new ArgumentException($"special token '{text}' has id {id}, which an ordinary token already uses.", nameof(specialTokens));
            if (!specialById.TryAdd(id, text))
                throw new ArgumentException($"special tokens '{specialById[id]}' and '{text}' share id {id}.", nameof(specialTokens));
        }

        long totalBytes = 0;
        for (int id = 0; id < size; id++)
        {
            _tokenOffsets[id] = checked((int)totalBytes);
            if (id < tokens.Count && tokens[id] is { } bytes)
            {
                if (bytes.Length == 0) throw new ArgumentException($"token {id} is empty.", nameof(tokens));
                _tokenKinds[id] = Ordinary;
                totalBytes += bytes.Length;
            }
            else if (specialById.TryGetValue(id, out string? text))
            {
                _tokenKinds[id] = Special;
                totalBytes += Encoding.UTF8.GetByteCount(text);
            }
        }
        _tokenOffsets[size] = checked((int)totalBytes);
        _tokenBytes = new byte[totalBytes + DecodePadding];
        for (int id = 0; id < size; id++)
        {
            Span<byte> destination = _tokenBytes.AsSpan(_tokenOffsets[id], _tokenOffsets[id + 1] - _tokenOffsets[id]);
            if (_tokenKinds[id] == Ordinary) tokens[id]!.CopyTo(destination);
            else if (_tokenKinds[id] == Special) Encoding.UTF8.GetBytes(specialById[id], destination);
        }

        Array.Fill(_byteToId, -1);
        for (int id = 0; id < tokens.Count; id++)
            if (tokens[id] is { Length: 1 } single && _byteToId[single[0]] < 0) _byteToId[single[0]] = id;
        int missing = Array.IndexOf(_byteToId, -1);
        if (missing >= 0)
            throw new ArgumentException($"no token for byte 0x{missing:X2}; a byte-level vocabulary needs all 256 single-byte tokens.", nameof(tokens));

        if (merges is not null)
        {
            _merges = merges.ToArray();
            _mergeTable = new MergeTable(_merges.Length);
            for (int rank = 0; rank < _merges.Length; rank++)
                _mergeTable.TryAdd(_merges[rank].Left, _merges[rank].Right, rank, _merges[rank].Result);
        }
        else
        {
            _wholeTokens = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
            for (int id = 0; id < tokens.Count; id++)
                if (tokens[id] is { } bytes) _wholeTokens.TryAdd(ByteLevelAlphabet.ToText(bytes), id);
            _mergeTable = BuildMergesFromRanks(tokens, _wholeTokens);
        }
        MergeCount = _merges?.Length ?? tokens.Count(t => t is { Length: > 1 });

        _specialTokens = new Dictionary<string, int>(specialTokens, StringComparer.Ordinal);
        SpecialTokens = new ReadOnlyDictionary<string, int>(_specialTokens);
        if (_specialTokens.Count > 0) _specialTokenSearch = SearchValues.Create(_specialTokens.Keys.ToArray(), StringComparison.Ordinal);
    }

    /// <summary>Number of token ids, special tokens included; every id produced is below it (GPT-2: 50257).</summary>
    public int VocabularySize { get; }

    /// <summary>
    /// Special tokens by text (GPT-2: <c>&lt;|endoftext|&gt;</c> → 50256). Their text in ordinary input
    /// stays ordinary text unless an encode call allows special tokens.
    /// </summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    /// <summary>
    /// Number of merge rules: the merge list of Hugging Face and OpenAI files, or for a tiktoken rank
    /// file, its tokens longer than one byte (each is one merge). GPT-2: 50,000.
    /// </summary>
    public int MergeCount { get; }

    /// <summary>True when <paramref name="id"/> is one of <see cref="SpecialTokens"/>.</summary>
    /// <param name="id">A token id.</param>
    public bool IsSpecialToken(int id) => (uint)id < (uint)VocabularySize && _tokenKinds[id] == Special;

    /// <summary>The bytes a token stands for (a special token: its UTF-8 text). They need not be whole UTF-8 characters.</summary>
    /// <param name="id">A token id in [0, <see cref="VocabularySize"/>).</param>
    public ReadOnlySpan<byte> GetTokenBytes(int id)
    {
        CheckId(id);
        return _tokenBytes.AsSpan(_tokenOffsets[id], _tokenOffsets[id + 1] - _tokenOffsets[id]);
    }

    /// <summary>
    /// A tokenizer with the same vocabulary plus <paramref name="texts"/> as special tokens (chat roles,
    /// fill-in-the-middle markers, ...), numbered from <see cref="VocabularySize"/> on. Texts that are
    /// special already keep their ids.
    /// </summary>
    /// <param name="texts">Special token texts, e.g. <see cref="WellKnownSpecialTokens.FimPrefix"/>.</param>
    public BpeTokenizer WithSpecialTokens(params IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokens = new Dictionary<string, int>(_specialTokens, StringComparer.Ordinal);
        int next = VocabularySize;
        foreach (string text in texts)
        {
            if (string.IsNullOrEmpty(text)) throw new ArgumentException("a special token text must not be null or empty.", nameof(texts));
            if (!tokens.ContainsKey(text)) tokens.Add(text, next++);
        }
        return new BpeTokenizer(OrdinaryTokens(), _merges, tokens);
    }

    /// <summary>A tokenizer with the same vocabulary plus the given special tokens at the given ids.</summary>
    /// <param name="tokens">Special token texts and their ids; an id must not belong to an ordinary token or another special token.</param>
    public BpeTokenizer WithSpecialTokens(IReadOnlyDictionary<string, int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var merged = new Dictionary<string, int>(_specialTokens, StringComparer.Ordinal);
        foreach (var (text, id) in tokens)
        {
            if (string.IsNullOrEmpty(text)) throw new ArgumentException("a special token text must not be null or empty.", nameof(tokens));
            if (merged.TryGetValue(text, out int existing) && existing != id)
                throw new ArgumentException($"'{text}' is already special token {existing}; it cannot also be {id}.", nameof(tokens));
            merged[text] = id;
        }
        return new BpeTokenizer(OrdinaryTokens(), _merges, merged);
    }

    internal byte[]?[] OrdinaryTokens()
    {
        var tokens = new byte[]?[VocabularySize];
        for (int id = 0; id < VocabularySize; id++)
            if (_tokenKinds[id] == Ordinary) tokens[id] = GetTokenBytes(id).ToArray();
        return tokens;
    }

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)VocabularySize || _tokenKinds[id] == Unassigned)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"not a token id of this vocabulary (size {VocabularySize}).");
    }

    // tiktoken's rule: two adjacent tokens merge when their concatenation is a token, at that token's
    // rank. Listing every split of every token into two tokens turns the rule into a merge table.
    private static MergeTable BuildMergesFromRanks(IReadOnlyList<byte[]?> tokens, Dictionary<string, int> idsByText)
    {
        var lookup = idsByText.GetAlternateLookup<ReadOnlySpan<char>>();
        var splits = new List<BpeMerge>();
        Span<char> text = stackalloc char[256];
        for (int id = 0; id < tokens.Count; id++)
        {
            if (tokens[id] is not { Length: >= 2 } bytes) continue;
            Span<char> spelling = bytes.Length <= text.Length ? text[..bytes.Length] : new char[bytes.Length];
            for (int i = 0; i < bytes.Length; i++) spelling[i] = ByteLevelAlphabet.ToChar(bytes[i]);
            for (int k = 1; k < bytes.Length; k++)
                if (lookup.TryGetValue(spelling[..k], out int left) && lookup.TryGetValue(spelling[k..], out int right))
                    splits.Add(new BpeMerge(left, right, id));
        }
        var table = new MergeTable(splits.Count);
        foreach (var split in splits) table.TryAdd(split.Left, split.Right, split.Result, split.Result);
        return table;
    }
}
