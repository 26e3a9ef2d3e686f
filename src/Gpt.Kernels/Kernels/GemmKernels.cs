using Gpt.Kernels.Compute;
using Gpt.Kernels.Gpu;

namespace Gpt.Kernels;

/// <summary>
/// The reference matrix multiply: one output element per (i, j), a plain float sum in k order
/// (<see cref="Gpu.GemmGpuKernels.Naive"/> run on the CPU).
/// Every fast path (CPU SIMD, GPU) is tested against it; it is written for clarity, not speed.
/// </summary>
/// <remarks>
/// Layout: row-major and contiguous. op(A) is [m, k], stored [m, k], or [k, m] when transA;
/// op(B) is [k, n], stored [k, n], or [n, k] when transB; C is [m, n].
/// </remarks>
internal static class GemmKernels
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
        Launch(a, b, c, bias, 1, m, n, k, transA, transB, alpha, beta);
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
        Launch(a, b, c, default, batch, m, n, k, transA, transB, alpha, beta);
    }

    // One thread per element of C (GemmGpuKernels.Naive: k added in order, then scaled, blended with the old C
    // and biased), rows of C across groups, products across the grid's Z.
    private static void Launch(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<float> bias,
        int batch, int m, int n, int k, bool transA, bool transB, float alpha, float beta)
    {
        if (batch == 0 || m == 0 || n == 0) return;
        GemmGpuKernels.NaiveKernel.LaunchCpu(new Dim3(1, m, batch), new Dim3(n), ReferenceLaunch.Writable(a), ReferenceLaunch.Writable(b),
            c, ReferenceLaunch.Writable(bias), m, n, k, transA ? 1 : 0, transB ? 1 : 0, alpha, beta);
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
