namespace Gpt.Kernels;

/// <summary>
/// The reference matrix multiply: one output element per (i, j), a plain float sum in k order.
/// Every fast path (CPU SIMD, GPU) is tested against it; it is written for clarity, not speed.
/// </summary>
/// <remarks>
/// Layout: row-major and contiguous. op(A) is [m, k], stored [m, k], or [k, m] when transA;
/// op(B) is [k, n], stored [k, n], or [n, k] when transB; C is [m, n].
/// </remarks>
public static class GemmKernels
{
    /// <summary>C = alpha * op(A) * op(B) + beta * C, plus bias[j] on every row when bias is given.</summary>
    /// <param name="a">A, stored [m, k], or [k, m] when <paramref name="transA"/>.</param>
    /// <param name="b">B, stored [k, n], or [n, k] when <paramref name="transB"/>.</param>
    /// <param name="c">C, [m, n]; read only when <paramref name="beta"/> is not 0.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="transA">A is stored transposed, [k, m].</param>
    /// <param name="transB">B is stored transposed, [n, k].</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the old C; 0 overwrites C (even NaN there is ignored).</param>
    /// <param name="bias">Empty, or [n] added to every row of C.</param>
    public static void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transA = false, bool transB = false,
        float alpha = 1f, float beta = 0f, ReadOnlySpan<float> bias = default)
    {
        Validate(a.Length, b.Length, c.Length, bias.Length, 1, m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                c[i * n + j] = Element(a, b, c, i, j, m, n, k, transA, transB, alpha, beta, bias);
            }
        }
    }

    /// <summary><paramref name="batch"/> independent products: A_i = a[i*m*k ..], B_i = b[i*k*n ..],
    /// C_i = c[i*m*n ..], each as in <see cref="MatMul"/>.</summary>
    /// <param name="a">The A matrices, one after another.</param>
    /// <param name="b">The B matrices, one after another.</param>
    /// <param name="c">The C matrices, one after another.</param>
    /// <param name="batch">Number of products.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="transA">Each A is stored transposed, [k, m].</param>
    /// <param name="transB">Each B is stored transposed, [n, k].</param>
    /// <param name="alpha">Scale of the products.</param>
    /// <param name="beta">Scale of the old C; 0 overwrites C.</param>
    public static void BatchedMatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int batch, int m, int n, int k, bool transA = false, bool transB = false,
        float alpha = 1f, float beta = 0f)
    {
        Validate(a.Length, b.Length, c.Length, 0, batch, m, n, k);
        int sa = m * k, sb = k * n, sc = m * n;
        for (int p = 0; p < batch; p++)
        {
            MatMul(a.Slice(p * sa, sa), b.Slice(p * sb, sb), c.Slice(p * sc, sc),
                m, n, k, transA, transB, alpha, beta);
        }
    }

    // One output element: the sum over k in order, then scaled, blended with the old C and biased.
    private static float Element(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        int i, int j, int m, int n, int k, bool transA, bool transB, float alpha, float beta,
        ReadOnlySpan<float> bias)
    {
        float sum = 0f;
        for (int p = 0; p < k; p++)
        {
            float aip = transA ? a[p * m + i] : a[i * k + p];
            float bpj = transB ? b[j * k + p] : b[p * n + j];
            sum += aip * bpj;
        }
        float result = alpha * sum;
        if (beta != 0f) result += beta * c[i * n + j];
        if (!bias.IsEmpty) result += bias[j];
        return result;
    }

    /// <summary>Checks sizes and span lengths for a (batched) product; shared by every implementation
    /// so all of them refuse the same inputs with the same messages.</summary>
    /// <param name="aLength">Length of the A span.</param>
    /// <param name="bLength">Length of the B span.</param>
    /// <param name="cLength">Length of the C span.</param>
    /// <param name="biasLength">Length of the bias span (0 when none).</param>
    /// <param name="batch">Number of products (1 for a single one).</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    internal static void Validate(int aLength, int bLength, int cLength, int biasLength,
        int batch, int m, int n, int k)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch size must not be negative.");
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, "m (rows of op(A) and C) must not be negative.");
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n (columns of op(B) and C) must not be negative.");
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k (the inner dimension) must not be negative.");
        CheckLength("a", aLength, batch, m, k, "m x k");
        CheckLength("b", bLength, batch, k, n, "k x n");
        CheckLength("c", cLength, batch, m, n, "m x n");
        if (biasLength != 0 && biasLength != n)
        {
            throw new ArgumentException(
                $"bias has {biasLength} elements but must have n = {n} (one per column of C), or none.", "bias");
        }
    }

    // The message is built only on failure: the check itself must not allocate.
    private static void CheckLength(string name, int actual, int batch, int rows, int cols, string shape)
    {
        long needed = (long)batch * rows * cols;
        if (needed <= actual) return;
        string formula = batch == 1 ? $"{shape} = {rows} x {cols}" : $"batch x {shape} = {batch} x {rows} x {cols}";
        string problem = needed > int.MaxValue ? "more than a span can hold" : $"but {name} has only {actual}";
        throw new ArgumentException($"{name} must hold {formula} = {needed} elements, {problem}.", name);
    }
}
