namespace Gpt.Sdk.Tensors;

/// <summary>A tensor shape of rank 0 to 4, stored inline so that shapes never allocate.</summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int _d0, _d1, _d2, _d3;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank { get; }

    /// <summary>A shape with the given dimensions (at most 4, each non-negative).</summary>
    /// <param name="dims">The dimensions, outermost first.</param>
    public Shape(params ReadOnlySpan<int> dims)
    {
        if (dims.Length > 4) throw new ArgumentException($"rank {dims.Length} is not supported; tensors have at most 4 dimensions.", nameof(dims));
        foreach (int d in dims)
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(dims), $"dimension {d} is negative.");
        Rank = dims.Length;
        _d0 = Rank > 0 ? dims[0] : 0;
        _d1 = Rank > 1 ? dims[1] : 0;
        _d2 = Rank > 2 ? dims[2] : 0;
        _d3 = Rank > 3 ? dims[3] : 0;
    }

    /// <summary>The size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    /// <param name="axis">Dimension index.</param>
    public int this[int axis]
    {
        get
        {
            int i = axis < 0 ? axis + Rank : axis;
            if ((uint)i >= (uint)Rank) throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is out of range for rank {Rank}.");
            return i switch { 0 => _d0, 1 => _d1, 2 => _d2, _ => _d3 };
        }
    }

    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            for (int i = 0; i < Rank; i++) n *= this[i];
            return n;
        }
    }

    /// <summary>The innermost dimension (1 for a scalar).</summary>
    public int Last => Rank == 0 ? 1 : this[Rank - 1];

    /// <summary>Element count divided by the innermost dimension: the rows of a row-major matrix view.</summary>
    public int Rows => Last == 0 ? 0 : (int)(ElementCount / Last);

    /// <summary>This shape with its innermost dimension replaced.</summary>
    /// <param name="last">The new innermost size.</param>
    public Shape WithLast(int last) => Rank switch
    {
        0 => new Shape(last),
        1 => new Shape(last),
        2 => new Shape(_d0, last),
        3 => new Shape(_d0, _d1, last),
        _ => new Shape(_d0, _d1, _d2, last),
    };

    /// <inheritdoc />
    public bool Equals(Shape other) =>
        Rank == other.Rank && _d0 == other._d0 && _d1 == other._d1 && _d2 == other._d2 && _d3 == other._d3;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Rank, _d0, _d1, _d2, _d3);

    /// <summary>Equality of rank and every dimension.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>Formats as <c>(2, 3, 4)</c>.</summary>
    public override string ToString()
    {
        var parts = new string[Rank];
        for (int i = 0; i < Rank; i++) parts[i] = this[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "(" + string.Join(", ", parts) + ")";
    }
}
