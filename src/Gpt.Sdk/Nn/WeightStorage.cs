namespace Gpt.Sdk.Nn;

/// <summary>
/// How a model holds its large matrices (the linear layers' weights and the token embedding, which is also the LM head).
/// Compute is fp32 in every case; the compact formats read fewer bytes per token, which is what bounds decoding on a CPU,
/// and serve inference only: a model loaded with them cannot be trained or have an adapter merged into it. They run on
/// the CPU for now.
/// </summary>
public enum WeightStorage
{
    /// <summary>fp32, 4 bytes a weight: the format for training, and the exact one.</summary>
    Float32,

    /// <summary>bfloat16, 2 bytes a weight (fp32's exponent, 8 bits of mantissa): every weight of the model is rounded to
    /// nearest even, the matrices are held as bf16, and <see cref="GptModel.Save(string, Tokenization.ITokenizer)"/> writes
    /// a <c>BF16</c> safetensors file that Hugging Face transformers loads.</summary>
    BFloat16,

    /// <summary>int8 with one fp16 scale per block of 32 weights along each row (llama.cpp's Q8_0, through
    /// <see cref="Kernels.Quantization.Q8Blocks"/>); in memory the scales are held widened to fp32, so that no product
    /// widens them again, which makes 1.125 bytes a weight; biases, LayerNorms and positions stay fp32.
    /// Needs an embedding size that is a multiple of 32. Quantized on load; not saved.</summary>
    Int8,
}
