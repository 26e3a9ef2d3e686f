using System.Runtime.InteropServices;

namespace Gpt.Benchmarks.Gemm;

/// <summary>The slice of OpenBLAS the GEMM comparison calls. Benchmark-only: nothing else needs it.</summary>
internal static unsafe partial class OpenBlas
{
    public const string Library = "libopenblas.so.0";

    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    /// <summary>True when the library loads; otherwise <paramref name="error"/> says why.</summary>
    public static bool TryLoad(out string error)
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(Library));
            error = "";
            return true;
        }
        catch (DllNotFoundException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>C[m, n] = alpha op(A) op(B) + beta C, row-major and contiguous, as CpuGemm.MatMul.</summary>
    public static void MatMul(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB,
        float alpha = 1f, float beta = 0f)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans,
            m, n, k, alpha, a, lda, b, ldb, beta, c, n);
    }

    [LibraryImport(Library, EntryPoint = "openblas_set_num_threads")]
    public static partial void SetThreadCount(int threads);

    [LibraryImport(Library, EntryPoint = "openblas_get_num_threads")]
    public static partial int GetThreadCount();

    [LibraryImport(Library, EntryPoint = "openblas_get_config")]
    private static partial nint GetConfigPointer();

    /// <summary>OpenBLAS's build description (version, target core).</summary>
    public static string Config => Marshal.PtrToStringAnsi(GetConfigPointer()) ?? "";

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
}
