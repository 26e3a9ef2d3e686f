using Gpt.Kernels.Devices;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>The KV-cache ops on every device present, against the scalar reference: rows of the batch
/// at different cache fill levels, new tokens appended, then attended to causally.</summary>
public sealed class CachedAttentionDeviceTests
{
    public static TheoryData<string> Devices() => DeviceUnderTest.Present();

    [Theory]
    [MemberData(nameof(Devices))]
    public void AppendThenAttendMatchesTheReference(string name)
    {
        const int batch = 2, newLen = 4, capacity = 20, heads = 3, headSize = 7, channels = heads * headSize;
        int[] past = [5, 0];
        float[] qkv = TestData.Uniform(batch * newLen * 3 * channels, 11);
        float[] keys = TestData.Uniform(batch * capacity * channels, 12), values = TestData.Uniform(batch * capacity * channels, 13);

        float[] expectedKeys = (float[])keys.Clone(), expectedValues = (float[])values.Clone();
        var expected = new float[batch * newLen * channels];
        CachedAttentionKernels.Append(qkv, expectedKeys, expectedValues, past, batch, newLen, capacity, heads, headSize);
        CachedAttentionKernels.Forward(qkv, expectedKeys, expectedValues, past, expected, batch, newLen, capacity, heads, headSize);

        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        Slice<float> deviceKeys = on.Put(keys), deviceValues = on.Put(values), output = on.Put(new float[expected.Length]), deviceQkv = on.Put(qkv);
        Slice<int> devicePast = on.Put(past);
        on.Device.KvCacheAppend(deviceQkv, deviceKeys, deviceValues, devicePast, batch, newLen, capacity, heads, headSize);
        on.Device.CachedAttentionForward(deviceQkv, deviceKeys, deviceValues, devicePast, output, batch, newLen, capacity, heads, headSize);

        TestData.BitEqual(expectedKeys, on.Get(deviceKeys));      // a copy: exact
        TestData.BitEqual(expectedValues, on.Get(deviceValues));
        TestData.CloseToScale(expected, on.Get(output), 2e-5f);   // softmax sums in another order
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void ShortBuffersAreRefused(string name)
    {
        using var on = new DeviceArrays(DeviceUnderTest.Get(name));
        Slice<float> small = on.Put(new float[10]);
        Slice<int> past = on.Put(new int[1]);
        Assert.Throws<ArgumentException>(() => on.Device.KvCacheAppend(small, small, small, past, 1, 1, 4, 2, 2));
    }
}
