namespace Gpt.Sdk.Tokenization;

/// <summary>Turns text into token ids and back. Implementations are immutable and thread-safe.</summary>
public interface ITokenizer
{
    /// <summary>Number of distinct token ids; every id produced is in [0, VocabularySize).</summary>
    int VocabularySize { get; }

    /// <summary>Encodes <paramref name="text"/> into token ids.</summary>
    /// <param name="text">The text to encode.</param>
    int[] Encode(string text);

    /// <summary>Decodes token ids back into text.</summary>
    /// <param name="ids">Token ids, each in [0, <see cref="VocabularySize"/>).</param>
    string Decode(ReadOnlySpan<int> ids);
}
