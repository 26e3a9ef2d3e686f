using System.Text.Json;

namespace Gpt.Sdk.Tokenization;

/// <summary>
/// <see cref="Utf8JsonReader"/> that knows which line of the file it is on, so that a bad entry in a
/// 50,000-line vocabulary is reported as <c>vocab.json:1234</c>, and turns JSON syntax errors into
/// <see cref="TokenizerFormatException"/>s.
/// </summary>
internal ref struct LineTrackingJsonReader
{
    private Utf8JsonReader _reader;
    private readonly ReadOnlySpan<byte> _json;
    private readonly string _fileName;
    private int _countedUpTo;
    private int _line;

    public LineTrackingJsonReader(ReadOnlySpan<byte> json, string fileName)
    {
        if (json.StartsWith("\uFEFF"u8)) json = json[3..];
        _json = json;
        _fileName = fileName;
        _reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        _line = 1;
    }

    public readonly string FileName => _fileName;

    public readonly JsonTokenType TokenType => _reader.TokenType;

    /// <summary>1-based line of the current token.</summary>
    public int Line
    {
        get
        {
            int position = (int)_reader.TokenStartIndex;
            if (position > _countedUpTo)
            {
                _line += _json[_countedUpTo..position].Count((byte)'\n');
                _countedUpTo = position;
            }
            return _line;
        }
    }

    public void Read()
    {
        try
        {
            if (!_reader.Read()) throw Error("the JSON ends too early.");
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(_fileName, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Reads the next token and checks its type.</summary>
    public void Read(JsonTokenType expected, string what)
    {
        Read();
        Expect(expected, what);
    }

    public void Expect(JsonTokenType expected, string what)
    {
        if (_reader.TokenType != expected) throw Error($"expected {what} ({expected}), found {_reader.TokenType}.");
    }

    public readonly string GetString() => _reader.GetString()!;

    public readonly bool ValueTextEquals(string text) => _reader.ValueTextEquals(text);

    public int GetInt32(string what)
    {
        if (_reader.TokenType != JsonTokenType.Number || !_reader.TryGetInt32(out int value))
            throw Error($"{what} must be an integer, found {_reader.TokenType}.");
        return value;
    }

    public bool GetBoolean(string what)
    {
        if (_reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) throw Error($"{what} must be true or false.");
        return _reader.GetBoolean();
    }

    /// <summary>Skips the value of the property just read (an object or array whole).</summary>
    public void SkipValue()
    {
        Read();
        if (_reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            try
            {
                _reader.Skip();
            }
            catch (JsonException e)
            {
                throw new TokenizerFormatException(_fileName, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {e.Message}", e);
            }
        }
    }

    public TokenizerFormatException Error(string problem) => new(_fileName, Line, problem);
}
