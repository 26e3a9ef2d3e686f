using Gpt.Kernels.Compute;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>
/// Hand-written kernels in the shape the generator emits, to test the device runtimes on their own:
/// each buffer is three C parameters (base pointer, 64-bit element offset, 32-bit length), scalars follow
/// by value, in the order of <see cref="KernelDescriptor.Parameters"/>.
/// </summary>
internal static class TestKernels
{
    private static KernelParameterInfo Buffer(string name, KernelValueType type) => new(name, KernelArgumentKind.Buffer, type);

    private static KernelParameterInfo Scalar(string name, KernelValueType type) => new(name, KernelArgumentKind.Scalar, type);

    /// <summary>output[i] = alpha·x[i] + y[i] for i &lt; n; an empty y counts as zeros.</summary>
    public static readonly KernelDescriptor Axpy = new(
        "TestKernels.Axpy", "test_axpy",
        """
        __kernel void test_axpy(__global const float* x_base, long x_offset, int x_length,
                                __global const float* y_base, long y_offset, int y_length,
                                __global float* output_base, long output_offset, int output_length,
                                float alpha, int n)
        {
            __global const float* x = x_base + x_offset;
            __global const float* y = y_base + y_offset;
            __global float* output = output_base + output_offset;
            int i = (int)get_global_id(0);
            if (i < n) output[i] = alpha * x[i] + (y_length > 0 ? y[i] : 0.0f);
        }
        """,
        """
        extern "C" __global__ void test_axpy(const float* x_base, long long x_offset, int x_length,
                                             const float* y_base, long long y_offset, int y_length,
                                             float* output_base, long long output_offset, int output_length,
                                             float alpha, int n)
        {
            const float* x = x_base + x_offset;
            const float* y = y_base + y_offset;
            float* output = output_base + output_offset;
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) output[i] = alpha * x[i] + (y_length > 0 ? y[i] : 0.0f);
        }
        """,
        [Buffer("x", KernelValueType.Float32), Buffer("y", KernelValueType.Float32), Buffer("output", KernelValueType.Float32),
         Scalar("alpha", KernelValueType.Float32), Scalar("n", KernelValueType.Int32)],
        UsesBarriers: false, SharedMemoryBytes: 0);

    /// <summary>output[i] = high·1000 + low + i, where start = (high &lt;&lt; 32) | low: checks that a 64-bit
    /// scalar arrives whole, and that int buffers work.</summary>
    public static readonly KernelDescriptor Index = new(
        "TestKernels.Index", "test_index",
        """
        __kernel void test_index(__global int* output_base, long output_offset, int output_length, long start)
        {
            __global int* output = output_base + output_offset;
            int i = (int)get_global_id(0);
            if (i < output_length) output[i] = (int)(start >> 32) * 1000 + (int)(start & 0xFFFFFFFFL) + i;
        }
        """,
        """
        extern "C" __global__ void test_index(int* output_base, long long output_offset, int output_length, long long start)
        {
            int* output = output_base + output_offset;
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < output_length) output[i] = (int)(start >> 32) * 1000 + (int)(start & 0xFFFFFFFFLL) + i;
        }
        """,
        [Buffer("output", KernelValueType.Int32), Scalar("start", KernelValueType.Int64)],
        UsesBarriers: false, SharedMemoryBytes: 0);

    /// <summary>Threads per group of <see cref="GroupSum"/>.</summary>
    public const int GroupSumSize = 64;

    /// <summary>sums[g] = Σ x[g·64 .. g·64+63]: a tree reduction in shared memory with barriers, one group per sum.</summary>
    public static readonly KernelDescriptor GroupSum = new(
        "TestKernels.GroupSum", "test_group_sum",
        """
        __kernel void test_group_sum(__global const float* x_base, long x_offset, int x_length,
                                     __global float* sums_base, long sums_offset, int sums_length)
        {
            __local float partial[64];
            __global const float* x = x_base + x_offset;
            int t = (int)get_local_id(0);
            partial[t] = x[get_group_id(0) * 64 + t];
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int stride = 32; stride > 0; stride >>= 1)
            {
                if (t < stride) partial[t] += partial[t + stride];
                barrier(CLK_LOCAL_MEM_FENCE);
            }
            if (t == 0) sums_base[sums_offset + get_group_id(0)] = partial[0];
        }
        """,
        """
        extern "C" __global__ void test_group_sum(const float* x_base, long long x_offset, int x_length,
                                                  float* sums_base, long long sums_offset, int sums_length)
        {
            __shared__ float partial[64];
            const float* x = x_base + x_offset;
            int t = threadIdx.x;
            partial[t] = x[blockIdx.x * 64 + t];
            __syncthreads();
            for (int stride = 32; stride > 0; stride >>= 1)
            {
                if (t < stride) partial[t] += partial[t + stride];
                __syncthreads();
            }
            if (t == 0) sums_base[sums_offset + blockIdx.x] = partial[0];
        }
        """,
        [Buffer("x", KernelValueType.Float32), Buffer("sums", KernelValueType.Float32)],
        UsesBarriers: true, SharedMemoryBytes: 64 * sizeof(float));

    /// <summary>A kernel that does not compile: an undeclared identifier in both dialects.</summary>
    public static readonly KernelDescriptor Broken = new(
        "TestKernels.Broken", "test_broken",
        """
        __kernel void test_broken(__global float* output_base, long output_offset, int output_length)
        {
            output_base[0] = undeclared_identifier_42;
        }
        """,
        """
        extern "C" __global__ void test_broken(float* output_base, long long output_offset, int output_length)
        {
            output_base[0] = undeclared_identifier_42;
        }
        """,
        [Buffer("output", KernelValueType.Float32)],
        UsesBarriers: false, SharedMemoryBytes: 0);
}
