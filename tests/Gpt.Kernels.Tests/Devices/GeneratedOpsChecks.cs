using Gpt.Kernels.Devices;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>
/// The Device ops a kernel device runs as generated kernels, each compared with the CPU device on the same
/// inputs. Sizes are not multiples of the group size and slices sit at odd offsets, so bounds and offsets
/// are exercised. GPU math functions (exp, tanh) may differ from the CPU's in the last bits: the tolerance
/// is relative, a few float ulps.
/// </summary>
internal static class GeneratedOpsChecks
{
    private const int Count = 1000;
    private const float Tolerance = 2e-6f;

    public static void ElementwiseOpsMatchTheCpu(KernelDevice device)
    {
        var pair = new DevicePair(device);
        float[] a = pair.Random(Count), b = pair.Random(Count), c = pair.Random(Count);

        pair.Check("Add", (d, s) => d.Add(s(a), s(b), s(c), Count), c);
        pair.Check("Add in place", (d, s) => { Slice<float> x = s(a); d.Add(x, s(b), x, Count); }, a);
        pair.Check("AddInPlace", (d, s) => { Slice<float> x = s(a); d.AddInPlace(x, s(b), Count); }, a);
        pair.Check("Scale", (d, s) => d.Scale(s(a), -1.5f, s(c), Count), c);
        pair.Check("Fill", (d, s) => d.Fill(s(c), 3.25f, Count - 1), c);
        pair.Check("Copy", (d, s) => d.Copy(s(a), s(c), Count), c);
        pair.Check("GeluForward", (d, s) => d.GeluForward(s(a), s(c), Count), c);
        pair.Check("GeluBackward", (d, s) => { Slice<float> dInput = s(c); d.GeluBackward(s(a), s(b), dInput, Count); }, c);
        pair.Check("Multiply in place", (d, s) => { Slice<float> x = s(a); d.Multiply(x, s(b), x, Count); }, a);
        pair.Check("MultiplyAccumulate", (d, s) => d.MultiplyAccumulate(s(a), s(b), s(c), Count), c);
        pair.Check("Exp in place", (d, s) => { Slice<float> x = s(a); d.Exp(x, x, Count); }, a);
        pair.Check("LogSigmoid", (d, s) => d.LogSigmoid(s(a), s(c), Count), c);
        pair.Check("LogSigmoidBackward", (d, s) => d.LogSigmoidBackward(s(a), s(b), s(c), Count), c);
        pair.Check("Clamp in place", (d, s) => { Slice<float> x = s(a); d.Clamp(x, -0.3f, 0.4f, x, Count); }, a);
        pair.Check("ClampBackward", (d, s) => d.ClampBackward(s(a), -0.3f, 0.4f, s(b), s(c), Count), c);
        pair.Check("Minimum", (d, s) => d.Minimum(s(a), s(b), s(c), Count), c);
        pair.Check("Maximum in place", (d, s) => { Slice<float> x = s(b); d.Maximum(s(a), x, x, Count); }, b);
        float[] max = new float[Count], dA = pair.Random(Count);
        pair.Check("SelectBackward", (d, s) =>
        {
            d.Maximum(s(a), s(b), s(max), Count);
            d.SelectBackward(s(a), s(b), s(max), s(c), s(dA), Slice<float>.Empty, Count);
        }, dA);
        pair.Check("RowSum", (d, s) => d.RowSum(s(a), s(b), s(c), 10, Count / 10), c);
        pair.Check("RowSumBackward", (d, s) => d.RowSumBackward(s(c), s(b), s(a), 10, Count / 10), a);
    }

    public static void SoftmaxMatchesTheCpu(KernelDevice device)
    {
        var pair = new DevicePair(device);
        // 3 columns (a group smaller than a warp), 300 (threads stride), 1000 (more columns than threads).
        foreach (int cols in (int[])[3, 300, 1000])
        {
            const int rows = 7;
            float[] input = pair.Random(rows * cols, scale: 20f), output = new float[rows * cols];
            pair.Check($"SoftmaxForward cols={cols}", (d, s) => d.SoftmaxForward(s(input), s(output), rows, cols), output);
        }
    }

    public static void OpsRefuseWhatTheCpuRefuses(KernelDevice device)
    {
        using DeviceBuffer<float> buffer = device.Allocate<float>(100);
        Slice<float> ten = buffer.Slice(0, 10), shifted = buffer.Slice(5, 10), far = buffer.Slice(50, 10);
        Assert.Throws<ArgumentException>(() => device.Add(ten, far, far, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Fill(ten, 0f, -1));
        Assert.Throws<ArgumentException>(() => device.Copy(ten, shifted, 10));
        Assert.Throws<ArgumentException>(() => device.SoftmaxForward(ten, far, 3, 4));
        device.Copy(ten, far, 0); // nothing to do is not an error
        device.Scale(ten, 2f, ten, 10); // in place is allowed
    }

    /// <summary>Runs an op on the device and on the CPU from the same inputs and compares one output.</summary>
    private sealed class DevicePair(KernelDevice device)
    {
        private readonly System.Random _random = new(1234);

        public float[] Random(int length, float scale = 2f) =>
            [.. Enumerable.Range(0, length).Select(_ => (_random.NextSingle() - 0.5f) * scale)];

        /// <summary><paramref name="op"/> gets a device and a function that uploads an array to it (at an odd
        /// offset) and returns the slice; <paramref name="result"/> is the array whose slice is compared.</summary>
        public void Check(string name, Action<Device, Func<float[], Slice<float>>> op, float[] result)
        {
            float[] onDevice = Run(device, op, result), onCpu = Run(Device.Cpu, op, result);
            for (int i = 0; i < onCpu.Length; i++)
            {
                float tolerance = Tolerance * Math.Max(1f, MathF.Abs(onCpu[i]));
                Assert.True(MathF.Abs(onDevice[i] - onCpu[i]) <= tolerance, $"{name}, element {i}: {onDevice[i]} on {device.Name}, {onCpu[i]} on the CPU");
            }
        }

        private static float[] Run(Device target, Action<Device, Func<float[], Slice<float>>> op, float[] result)
        {
            var buffers = new Dictionary<float[], DeviceBuffer<float>>(ReferenceEqualityComparer.Instance);
            try
            {
                Slice<float> SliceOf(float[] array)
                {
                    if (!buffers.TryGetValue(array, out DeviceBuffer<float>? buffer))
                    {
                        buffers[array] = buffer = target.Allocate<float>(array.Length + 13);
                        target.Upload<float>(array, buffer.Slice(13, array.Length));
                    }
                    return buffer.Slice(13, array.Length);
                }
                op(target, SliceOf);
                var output = new float[result.Length];
                target.Download(SliceOf(result), output);
                return output;
            }
            finally
            {
                foreach (DeviceBuffer<float> buffer in buffers.Values) buffer.Dispose();
            }
        }
    }
}
