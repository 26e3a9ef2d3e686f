namespace Gpt.Kernels.Compute;

/// <summary>A size or index in up to three dimensions (unused dimensions are 1 for sizes, 0 for indices).</summary>
/// <param name="X">The first, fastest-varying dimension.</param>
/// <param name="Y">The second dimension.</param>
/// <param name="Z">The third dimension.</param>
public readonly record struct Dim3(int X, int Y = 1, int Z = 1)
{
    /// <summary>X · Y · Z: the number of points a size spans.</summary>
    public long Size => (long)X * Y * Z;

    /// <summary>A one-dimensional size.</summary>
    /// <param name="x">The size.</param>
    public static implicit operator Dim3(int x) => new(x);
}
