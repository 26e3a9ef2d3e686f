using Gpt.Kernels.Devices;
using Gpt.Kernels.Gpu;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>
/// The KV-cache kernels (ready for Device.KvCacheAppend and Device.CachedAttentionForward) on every device
/// that runs generated kernels, against plain two-pass softmax attention written here: rows of different
/// history lengths, several new tokens, an odd head size.
/// </summary>
public sealed class CachedAttentionGpuKernelsTests
{
    public static TheoryData<string> KernelDevices()
    {
        var names = new TheoryData<string> { "cpu-launcher" }; // LaunchCpu: the kernel bodies as plain C#
        foreach (string name in DeviceUnderTest.Present()) if (name != "cpu") names.Add(name);
        return names;
    }

    [Theory]
    [MemberData(nameof(KernelDevices))]
    public void AppendThenAttendMatchesPlainAttention(string name)
    {
        const int batch = 2, newLen = 3, heads = 2, headSize = 5, capacity = 9, C = heads * headSize;
        int[] past = [4, 1];
        float[] qkv = TestData.Uniform(batch * newLen * 3 * C, 60, 2f);
        float[] keys = TestData.Uniform(batch * heads * capacity * headSize, 61, 2f);
        float[] values = TestData.Uniform(keys.Length, 62, 2f);
        float[] expectedKeys = (float[])keys.Clone(), expectedValues = (float[])values.Clone();
        float[] expected = Expected(qkv, expectedKeys, expectedValues, past, batch, newLen, capacity, heads, headSize);

        float[] output = new float[batch * newLen * C];
        int appendThreads = batch * newLen * C, queries = batch * heads * newLen;
        if (name == "cpu-launcher")
        {
            CachedAttentionGpuKernels.AppendKernel.LaunchCpu(appendThreads, 1, qkv, keys, values, past, batch, newLen, capacity, heads, headSize);
            CachedAttentionGpuKernels.ForwardKernel.LaunchCpu(queries, 1, qkv, keys, values, past, output, batch, newLen, capacity, heads, headSize);
        }
        else
        {
            var device = (KernelDevice)DeviceUnderTest.Get(name);
            using var on = new DeviceArrays(device);
            Slice<float> sQkv = on.Put(qkv), sKeys = on.Put(keys), sValues = on.Put(values), sOutput = on.Put(output);
            Slice<int> sPast = on.Put(past);
            CachedAttentionGpuKernels.AppendKernel.Launch(device, (appendThreads + 63) / 64, 64, sQkv, sKeys, sValues, sPast,
                batch, newLen, capacity, heads, headSize);
            CachedAttentionGpuKernels.ForwardKernel.Launch(device, (queries + 63) / 64, 64, sQkv, sKeys, sValues, sPast, sOutput,
                batch, newLen, capacity, heads, headSize);
            keys = on.Get(sKeys);
            values = on.Get(sValues);
            output = on.Get(sOutput);
        }
        TestData.BitEqual(expectedKeys, keys);
        TestData.BitEqual(expectedValues, values);
        TestData.Close(expected, output, 1e-5f, 1e-5f);
    }

    // Appends into the given caches and returns the attention output, the obvious way.
    private static float[] Expected(float[] qkv, float[] keys, float[] values, int[] past,
        int batch, int newLen, int capacity, int heads, int headSize)
    {
        int C = heads * headSize;
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < newLen; t++)
        for (int c = 0; c < C; c++)
        {
            int target = ((b * heads + c / headSize) * capacity + past[b] + t) * headSize + c % headSize;
            keys[target] = qkv[(b * newLen + t) * 3 * C + C + c];
            values[target] = qkv[(b * newLen + t) * 3 * C + 2 * C + c];
        }
        var output = new float[batch * newLen * C];
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < newLen; t++)
        {
            int n = past[b] + t + 1, head = (b * heads + h) * capacity * headSize;
            var scores = new double[n];
            for (int s = 0; s < n; s++)
            {
                double dot = 0;
                for (int d = 0; d < headSize; d++) dot += qkv[(b * newLen + t) * 3 * C + h * headSize + d] * (double)keys[head + s * headSize + d];
                scores[s] = dot / Math.Sqrt(headSize);
            }
            double max = scores.Max(), sum = scores.Sum(x => Math.Exp(x - max));
            for (int d = 0; d < headSize; d++)
            {
                double o = 0;
                for (int s = 0; s < n; s++) o += Math.Exp(scores[s] - max) / sum * values[head + s * headSize + d];
                output[(b * newLen + t) * C + h * headSize + d] = (float)o;
            }
        }
        return output;
    }
}
