namespace Gpt.Kernels.Generator.Tests;

/// <summary>Each supported construct translates to the expected OpenCL C and CUDA C lines, and the generated
/// launchers compile without diagnostics.</summary>
public class TranslationTests
{
    /// <summary>Construct name, kernel body (after <c>int i = Grid.GlobalIndex.X;</c>), helpers, expected OpenCL
    /// fragments and expected CUDA fragments (separated by '|').</summary>
    public static TheoryData<string, string, string, string, string> Constructs => new()
    {
        {
            "buffer and scalar parameters", "x[i] = n;", "",
            "__kernel void gptk_Run(__global float* gptk_p_x, long gptk_off_x, int gptk_len_x, __global int* gptk_p_counts, long gptk_off_counts, int gptk_len_counts, int n)|__global float* x = gptk_p_x + gptk_off_x;|x[i] = (float)n;",
            "extern \"C\" __global__ void gptk_Run(float* gptk_p_x, long long gptk_off_x, int gptk_len_x, int* gptk_p_counts, long long gptk_off_counts, int gptk_len_counts, int n)|float* x = gptk_p_x + gptk_off_x;"
        },
        {
            "global index in three dimensions", "int j = Grid.GlobalIndex.Y + Grid.GlobalIndex.Z;", "",
            "int i = (int)get_global_id(0);|int j = ((int)get_global_id(1)) + ((int)get_global_id(2));",
            "int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);|(int)(blockIdx.y * blockDim.y + threadIdx.y)|(int)(blockIdx.z * blockDim.z + threadIdx.z)"
        },
        {
            "group and grid indices and sizes", "int a = Grid.IdxX + Grid.DimY + Group.IdxZ + Group.DimX;", "",
            "get_group_id(0)|get_num_groups(1)|get_local_id(2)|get_local_size(0)",
            "(int)blockIdx.x|(int)gridDim.y|(int)threadIdx.z|(int)blockDim.x"
        },
        {
            "locals and arithmetic", "int a = i * 2 + 1; float b = x[i] / 3f - a; x[i] = -b;", "",
            "int a = (i * 2) + 1;|float b = (x[i] / 3.0f) - ((float)a);|x[i] = -b;",
            "int a = (i * 2) + 1;|float b = (x[i] / 3.0f) - ((float)a);"
        },
        {
            "casts and integer types", "uint u = (uint)i + 5u; long l = (long)i * 5L; ulong w = (ulong)l + 7ul; x[i] = (float)w;", "",
            "uint u = ((uint)i) + 5u;|long l = ((long)i) * 5L;|ulong w = ((ulong)l) + 7uL;|x[i] = (float)w;",
            "unsigned int u = ((unsigned int)i) + 5u;|long long l = ((long long)i) * 5LL;|unsigned long long w = ((unsigned long long)l) + 7uLL;"
        },
        {
            "if and else", "if (i < n) x[i] = 1f; else if (i == n) x[i] = 2f; else { x[i] = 3f; }", "",
            "if (i < n)|else|if (i == n)|x[i] = 3.0f;",
            "if (i < n)|else"
        },
        {
            "for with break and continue", "for (int k = 0; k < n; k++) { if (k == 3) continue; if (k > 5) break; x[i] += k; }", "",
            "for (int k = 0; k < n; k++)|continue;|break;|x[i] += (float)k;",
            "for (int k = 0; k < n; k++)"
        },
        {
            "for with several variables and steps", "for (int a = 0, b = n; a < b; a++, b--) x[a] = b;", "",
            "for (int a = 0, b = n; a < b; a++, b--)",
            "for (int a = 0, b = n; a < b; a++, b--)"
        },
        {
            "while and do", "int k = 0; while (k < n) { k += 2; } do { k--; } while (k > 0);", "",
            "while (k < n)|k += 2;|do|} while (k > 0);",
            "while (k < n)|} while (k > 0);"
        },
        {
            "compile-time constants", "const int local = 3; x[i] = Width * local; x[1] = float.MaxValue; x[2] = float.NegativeInfinity; counts[i] = int.MinValue + i;",
            "private const int Width = 64;",
            "x[i] = 192.0f;|x[1] = 3.4028235E+38f;|x[2] = as_float(0xff800000u);|counts[i] = (-2147483647 - 1) + i;",
            "x[i] = 192.0f;|x[2] = __int_as_float(0xff800000);"
        },
        {
            "ternary, logic and booleans", "bool inside = i >= 0 && i < n || n == 0; x[i] = inside ? 1f : 0f; bool none = !inside;", "",
            "bool inside = ((i >= 0) && (i < n)) || (n == 0);|x[i] = inside ? 1.0f : 0.0f;|bool none = !inside;",
            "bool inside = ((i >= 0) && (i < n)) || (n == 0);"
        },
        {
            "increments and compound assignments", "int k = i; k++; --k; k *= 3; k <<= 2; k >>= n; k ^= 1; x[i] %= 2f; float f = x[i]; f %= 3f;", "",
            "k++;|--k;|k *= 3;|k <<= 2;|k >>= (n & 31);|k ^= 1;|x[i] = fmod(x[i], 2.0f);|f = fmod(f, 3.0f);",
            "f = fmodf(f, 3.0f);"
        },
        {
            "shifts and float remainder", "int s = i << n; int t = i >>> 1; x[i] = x[i] % 2f;", "",
            "int s = i << (n & 31);|int t = (int)(((uint)i) >> 1);|x[i] = fmod(x[i], 2.0f);",
            "int t = (int)(((unsigned int)i) >> 1);|x[i] = fmodf(x[i], 2.0f);"
        },
        {
            "math functions",
            "float v = x[i]; x[i] = KernelMath.Exp(v) + KernelMath.Log(v) + KernelMath.Log1p(v) + KernelMath.Sqrt(v) + KernelMath.Rsqrt(v) + KernelMath.Tanh(v) + KernelMath.Erf(v) + KernelMath.Pow(v, 2f) + KernelMath.Fma(v, v, 1f) + KernelMath.Abs(v) + KernelMath.Floor(v) + KernelMath.Max(v, 0f) + KernelMath.Min(v, 1f); counts[i] = KernelMath.Max(i, n) + KernelMath.Min(i, n) + KernelMath.Abs(i);",
            "",
            "exp(v)|log(v)|log1p(v)|sqrt(v)|rsqrt(v)|tanh(v)|erf(v)|pow(v, 2.0f)|fma(v, v, 1.0f)|fabs(v)|floor(v)|fmax(v, 0.0f)|fmin(v, 1.0f)|max(i, n)|min(i, n)|((int)abs(i))",
            "expf(v)|logf(v)|log1pf(v)|sqrtf(v)|rsqrtf(v)|tanhf(v)|erff(v)|powf(v, 2.0f)|fmaf(v, v, 1.0f)|fabsf(v)|floorf(v)|fmaxf(v, 0.0f)|fminf(v, 1.0f)|max(i, n)|min(i, n)|abs(i)"
        },
        {
            "helper methods, expression-bodied and with views", "x[i] = Square(x[i]) + Sum(x, n);",
            "private static float Square(float v) => v * v; private static float Sum(ArrayView<float> v, int count) { float s = 0f; for (int k = 0; k < count && k < v.Length; k++) s += v[k]; return s; }",
            "float gptk_h_K_Square(float v)|return v * v;|float gptk_h_K_Sum(__global float* v, int gptk_len_v, int count)|(k < count) && (k < gptk_len_v)|x[i] = gptk_h_K_Square(x[i]) + gptk_h_K_Sum(x, gptk_len_x, n);",
            "__device__ float gptk_h_K_Square(float v)|__device__ float gptk_h_K_Sum(float* v, int gptk_len_v, int count)"
        },
        {
            "sub-views and lengths", "var row = x.SubView(i * n, n); var head = row.SubView(0, 2); x[0] = row.Length + head.Length;", "",
            "__global float* row = (x + (i * n));|int gptk_len_row = n;|__global float* head = (row + 0);|int gptk_len_head = 2;|x[0] = (float)(gptk_len_row + gptk_len_head);",
            "float* row = (x + (i * n));"
        },
        {
            "atomics on ints and floats", "Atomic.Add(ref counts[i], 1); Atomic.Max(ref counts[0], i); Atomic.Min(ref counts[1], i); Atomic.Exchange(ref counts[2], i); Atomic.CompareExchange(ref counts[3], 0, i); float old = Atomic.Add(ref x[0], 1.5f); Atomic.Max(ref x[1], old); Atomic.Min(ref x[2], old);", "",
            "atomic_add(&counts[i], 1);|atomic_max(&counts[0], i);|atomic_min(&counts[1], i);|atomic_xchg(&counts[2], i);|atomic_cmpxchg(&counts[3], 0, i);|float old = gptk_atomic_add_float_global(&x[0], 1.5f);|gptk_atomic_max_float_global(&x[1], old);|float gptk_atomic_add_float_global(volatile __global float* target, float value)|atomic_cmpxchg(bits, old, as_int(as_float(old) + value))",
            "atomicAdd(&counts[i], 1);|atomicMax(&counts[0], i);|atomicMin(&counts[1], i);|atomicExch(&counts[2], i);|atomicCAS(&counts[3], 0, i);|float old = atomicAdd(&x[0], 1.5f);|gptk_atomic_max_float(&x[1], old);|__device__ float gptk_atomic_min_float(float* target, float value)"
        },
        {
            "names that are C keywords or built-ins", "int max = i; int local = max; float exp = local; int gptk_x = 1; x[i] = exp + gptk_x;", "",
            "int gptk_max = i;|int gptk_local = gptk_max;|float gptk_exp = (float)gptk_local;|int gptk_u_gptk_x = 1;",
            "int gptk_max = i;"
        },
        {
            "early return", "if (i >= n) return; x[i] = 0f;", "",
            "if (i >= n)|return;",
            "return;"
        },
    };

    [Theory]
    [MemberData(nameof(Constructs))]
    public void Construct_TranslatesToBothDialects(string construct, string body, string helpers, string openCL, string cuda)
    {
        var run = GeneratorHarness.RunClean(Samples.Kernel(body, helpers));

        string openCLSource = run.OpenCL("Run"), cudaSource = run.Cuda("Run");
        foreach (string fragment in openCL.Split('|'))
            Assert.True(openCLSource.Contains(fragment, StringComparison.Ordinal), $"{construct}: OpenCL lacks '{fragment}' in\n{openCLSource}");
        foreach (string fragment in cuda.Split('|'))
            Assert.True(cudaSource.Contains(fragment, StringComparison.Ordinal), $"{construct}: CUDA lacks '{fragment}' in\n{cudaSource}");
    }

    [Fact]
    public void SharedMemoryAndBarrier_DeclareGroupArraysAndMarkTheDescriptor()
    {
        var run = GeneratorHarness.RunClean(Samples.File("""
                [Kernel]
                internal static void Reverse(ArrayView<float> x)
                {
                    var tile = SharedMemory.Allocate<float>(64);
                    var flags = SharedMemory.Allocate<int>(Size);
                    int t = Group.IdxX;
                    tile[t] = x[Grid.GlobalIndex.X];
                    flags[t] = tile.Length;
                    Group.Barrier();
                    x[Grid.GlobalIndex.X] = tile[63 - t] + Atomic.Add(ref tile[0], 1f) + Atomic.Add(ref flags[0], 1);
                }
                private const int Size = 16;
            """));

        string openCL = run.OpenCL("Reverse"), cuda = run.Cuda("Reverse");
        Assert.Contains("__local float tile[64];", openCL);
        Assert.Contains("__local int flags[16];", openCL);
        Assert.Contains("flags[t] = 64;", openCL);
        Assert.Contains("barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);", openCL);
        Assert.Contains("gptk_atomic_add_float_local(&tile[0], 1.0f)", openCL);
        Assert.Contains("float gptk_atomic_add_float_local(volatile __local float* target, float value)", openCL);
        Assert.Contains("atomic_add(&flags[0], 1)", openCL);
        Assert.Contains("__shared__ float tile[64];", cuda);
        Assert.Contains("__syncthreads();", cuda);
        Assert.Contains("atomicAdd(&tile[0], 1.0f)", cuda);

        var launcher = run.Launcher("Reverse", "Samples.K")!;
        Assert.Empty(launcher.GetMembers("LaunchCpu"));
        Assert.Single(launcher.GetMembers("Launch"));
        Assert.Equal("internal", launcher.DeclaredAccessibility.ToString().ToLowerInvariant());
        string descriptor = launcher.DeclaringSyntaxReferences[0].GetSyntax().ToString();
        Assert.Contains("UsesBarriers: true, SharedMemoryBytes: 320", descriptor);
    }

    [Fact]
    public void BarrierInAHelper_MarksTheKernel()
    {
        var run = GeneratorHarness.RunClean(Samples.File("""
                [Kernel]
                public static void Sync(ArrayView<float> x) { x[0] = 1f; Wait(); }
                private static void Wait() => Group.Barrier();
            """));

        Assert.Contains("void gptk_h_K_Wait()", run.OpenCL("Sync"));
        Assert.Empty(run.Launcher("Sync")!.GetMembers("LaunchCpu"));
    }

    [Fact]
    public void Launchers_HaveTypedSignatures()
    {
        var run = GeneratorHarness.RunClean(Samples.File("""
                [Kernel]
                public static void Scale(ArrayView<float> x, float alpha, ArrayView<long> ids, ulong seed, uint mask) { x[0] = alpha; }
                [Kernel]
                public static void Named(ArrayView<float> runner, int groups, int groupSize) { runner[0] = groups + groupSize; }
            """));

        var launcher = run.Launcher("Scale")!;
        var launch = (Microsoft.CodeAnalysis.IMethodSymbol)Assert.Single(launcher.GetMembers("Launch"));
        Assert.Equal(
            "(Gpt.Kernels.Compute.IKernelRunner, Gpt.Kernels.Compute.Dim3, Gpt.Kernels.Compute.Dim3, Gpt.Kernels.Devices.Slice<float>, float, Gpt.Kernels.Devices.Slice<long>, ulong, uint)",
            "(" + string.Join(", ", launch.Parameters.Select(p => p.Type.ToDisplayString())) + ")");
        var cpu = (Microsoft.CodeAnalysis.IMethodSymbol)Assert.Single(launcher.GetMembers("LaunchCpu"));
        Assert.Equal("System.Span<float>", cpu.Parameters[2].Type.ToDisplayString());
        Assert.Equal("public", launcher.DeclaredAccessibility.ToString().ToLowerInvariant());

        var named = (Microsoft.CodeAnalysis.IMethodSymbol)Assert.Single(run.Launcher("Named")!.GetMembers("Launch"));
        Assert.Equal(["kernelRunner", "kernelGroups", "kernelGroupSize", "runner", "groups", "groupSize"], named.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void NestedAndStructContainers_AreReopened()
    {
        var run = GeneratorHarness.RunClean("""
            using Gpt.Kernels.Compute;
            namespace Outer.Inner;
            public partial class Host
            {
                public partial struct Holder
                {
                    [Kernel]
                    public static void Touch(ArrayView<int> x) { x[Grid.GlobalIndex.X] = 1; }
                }
            }
            """);

        Assert.Contains("x[(int)get_global_id(0)] = 1;", run.OpenCL("Touch", "Outer.Inner.Host+Holder"));
    }
}
