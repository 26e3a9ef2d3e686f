using Gpt.Kernels.Devices;
using Gpt.Kernels.Quantization;
using Gpt.Sdk.IO;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// Turns an fp32 model's large matrices — every linear layer's weight and the token embedding, which is also the LM head
/// and a large part of each decoded token's bytes — into <see cref="CompactMatrix"/> values, then frees their fp32 copies.
/// bf16 rounds every other weight too, so the model is exactly the bf16 model a <c>BF16</c> file holds; int8 quantizes
/// the matrices with <see cref="Q8Blocks"/> and keeps the small vectors fp32.
/// </summary>
internal static class WeightConversion
{
    public static void Convert(GptModel model, WeightStorage storage)
    {
        var matrices = new List<Parameter> { model.TokenEmbedding };
        matrices.AddRange(model.Linears.Select(l => l.Weight));
        if (storage == WeightStorage.Int8)
        {
            var ragged = matrices.FirstOrDefault(p => p.Shape[1] % Q8Blocks.BlockSize != 0);
            if (ragged is not null)
                throw new NotSupportedException($"int8 weights are blocks of {Q8Blocks.BlockSize} values along each row, but '{ragged.Name}' has rows of " +
                    $"{ragged.Shape[1]}: this model's embedding size ({model.Config.EmbeddingSize}) is not a multiple of {Q8Blocks.BlockSize}. Use bf16 weights instead.");
        }

        var segment = model.Parameters;
        segment.Trainable = false;
        var device = model.Device;
        foreach (var p in segment.Items)
        {
            var values = new float[p.Shape.ElementCount];
            device.Download(p.Value.Data, values);
            bool matrix = matrices.Contains(p);
            if (storage == WeightStorage.BFloat16)
            {
                var bits = new ushort[values.Length];
                FloatFormats.SingleToBFloat16(values, bits);
                if (matrix)
                {
                    p.Compact = CompactMatrix.BFloat16(device, bits, p.Shape[0], p.Shape[1]);
                    continue;
                }
                // The small vectors stay fp32 in memory, holding bf16 values: what a bf16 file gives back.
                FloatFormats.BFloat16ToSingle(bits, values);
                device.Upload<float>(values, p.Value.Data);
            }
            else if (matrix)
            {
                var q = new sbyte[values.Length];
                var scales = new Half[Q8Blocks.BlockCount(values.Length)];
                Q8Blocks.Quantize(values, q, scales);
                p.Compact = CompactMatrix.Int8(device, q, scales, p.Shape[0], p.Shape[1]);
            }
        }

        segment.ReleaseCompact();
    }
}
