namespace Gpt.Sdk.IO.Gguf;

/// <summary>
/// How the weight matrices of an exported GGUF file are stored; the values are ggml's type ids. As in llama.cpp's own
/// converter, 1-D tensors (biases, LayerNorm gains), the position table and any matrix that cannot be stored in the
/// chosen type stay in a wider type whatever is chosen here.
/// </summary>
public enum GgufType
{
    /// <summary>32-bit floats: the weights exactly as the model holds them.</summary>
    F32 = 0,

    /// <summary>16-bit IEEE floats, rounded to nearest even: half the size, within fp16 rounding of the weights.</summary>
    F16 = 1,

    /// <summary>llama.cpp's Q8_0: blocks of 32 signed bytes with one fp16 scale (8.5 bits a weight), quantized by
    /// <see cref="Gpt.Kernels.Quantization.Q8Blocks"/>, the quantizer of the SDK's own int8 weights.</summary>
    Q8_0 = 8,
}
