namespace Gpt.Sdk.Training;

/// <summary>Tokens in a managed array.</summary>
internal sealed class InMemoryTokenDataset : TokenDataset
{
    private readonly int[] _tokens;

    public InMemoryTokenDataset(int[] tokens) => _tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));

    public override long Length => _tokens.Length;

    public override void Read(long start, Span<int> destination)
    {
        CheckRange(start, destination.Length);
        _tokens.AsSpan((int)start, destination.Length).CopyTo(destination);
    }
}
