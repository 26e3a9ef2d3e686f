namespace Gpt.Sdk.Training;

/// <summary>A read-only sequence of token ids that batches are cut from.</summary>
public abstract class TokenDataset : IDisposable
{
    /// <summary>Number of tokens.</summary>
    public abstract long Length { get; }

    /// <summary>Copies tokens [start, start + destination.Length) into <paramref name="destination"/>.</summary>
    /// <param name="start">Index of the first token.</param>
    /// <param name="destination">Where the tokens go.</param>
    public abstract void Read(long start, Span<int> destination);

    /// <summary>Creates a dataset over tokens held in memory (the array is not copied).</summary>
    /// <param name="tokens">The token ids.</param>
    public static TokenDataset FromTokens(int[] tokens) => new InMemoryTokenDataset(tokens);

    /// <summary>Opens a binary token file memory-mapped: nanoGPT's <c>.bin</c> layout (little-endian
    /// uint16 per token) or int32 per token.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">How each token is stored.</param>
    public static TokenDataset OpenBinary(string path, TokenFileFormat format = TokenFileFormat.UInt16) =>
        new MemoryMappedTokenDataset(path, format);

    /// <summary>Throws unless [start, start + count) lies inside the dataset.</summary>
    /// <param name="start">First token.</param>
    /// <param name="count">Number of tokens.</param>
    protected void CheckRange(long start, int count)
    {
        if (start < 0 || count < 0 || start + count > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"tokens [{start}, {start + count}) are outside a dataset of {Length} tokens.");
    }

    /// <summary>Releases the data (memory maps, files).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing) { }
}

/// <summary>How a binary token file stores each id.</summary>
public enum TokenFileFormat
{
    /// <summary>Little-endian unsigned 16-bit (nanoGPT's <c>.bin</c>; vocabularies up to 65536).</summary>
    UInt16,

    /// <summary>Little-endian signed 32-bit.</summary>
    Int32,
}
