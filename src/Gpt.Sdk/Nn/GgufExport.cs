using Gpt.Kernels.Devices;
using Gpt.Kernels.Quantization;
using Gpt.Sdk.IO;
using Gpt.Sdk.IO.Gguf;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Nn;

/// <summary>
/// Exports a <see cref="GptModel"/> and its tokenizer as one GGUF file, the format llama.cpp, LLamaSharp and Ollama load,
/// laid out as llama.cpp's <c>convert_hf_to_gguf.py</c> lays out a Hugging Face GPT-2: architecture <c>gpt2</c>, its
/// hyper-parameters, the tokenizer, and the tensors under llama.cpp's names (<c>token_embd</c>, <c>position_embd</c>,
/// <c>blk.N.attn_qkv</c>, ...) with the tied LM head written out as <c>output</c>.
/// </summary>
public static class GgufExport
{
    /// <summary>
    /// Writes <paramref name="model"/>'s base weights and <paramref name="tokenizer"/> to a GGUF v3 file, replacing it only
    /// once it is complete: on an error or cancellation nothing is left at <paramref name="path"/> (an existing file stays as
    /// it was). Weight matrices are stored as <paramref name="type"/>; as in llama.cpp's converter, biases, LayerNorm gains
    /// and the position table stay F32, and a matrix whose rows do not split into Q8_0 blocks of 32 falls back to F16.
    /// A merged LoRA adapter is part of the base weights and so of the file; unmerged adapters are not.
    /// </summary>
    /// <param name="model">The model (any device).</param>
    /// <param name="tokenizer">Its byte-level BPE tokenizer; its ids must fit the model's vocabulary.</param>
    /// <param name="path">The <c>.gguf</c> file to write; its folder must exist.</param>
    /// <param name="type">How the weight matrices are stored: F32, F16 or Q8_0.</param>
    /// <param name="progress">Told after each tensor is written.</param>
    /// <param name="cancellationToken">Stops the export between tensors; nothing is left behind.</param>
    /// <exception cref="ArgumentException">The type is not one of the three, or the tokenizer has ids the model lacks.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static async Task WriteAsync(GptModel model, BpeTokenizer tokenizer, string path, GgufType type,
        IProgress<GgufExportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var writer = Describe(model, tokenizer, type, Path.GetFileNameWithoutExtension(path));
        var names = TensorNames(model);
        await AtomicFile.WriteAsync(path, (stream, ct) => writer.WriteAsync(stream,
            i => progress?.Report(new GgufExportProgress(i + 1, writer.TensorCount, names[i])), ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>llama.cpp's <c>general.file_type</c> (<c>llama_ftype</c>) of a file whose matrices are <paramref name="type"/>.</summary>
    internal static uint FileType(GgufType type) => type switch
    {
        GgufType.F32 => 0,      // LLAMA_FTYPE_ALL_F32
        GgufType.F16 => 1,      // LLAMA_FTYPE_MOSTLY_F16
        GgufType.Q8_0 => 7,     // LLAMA_FTYPE_MOSTLY_Q8_0
        _ => throw new ArgumentException($"GGUF type {type} is not one this exporter writes; choose {GgufType.F32}, {GgufType.F16} or {GgufType.Q8_0}.", nameof(type)),
    };

    /// <summary>llama.cpp's name of a base parameter (<c>h.3.mlp.c_fc.weight</c> → <c>blk.3.ffn_up.weight</c>).</summary>
    /// <exception cref="InvalidOperationException">The parameter has no GGUF counterpart.</exception>
    internal static string GgufName(string name)
    {
        string[] parts = name.Split('.');
        string suffix = parts[^1];
        string module = string.Join('.', parts[..^1]);
        string? mapped = module switch
        {
            "wte" => "token_embd",
            "wpe" => "position_embd",
            "ln_f" => "output_norm",
            _ when parts.Length == 4 && parts[0] == "h" => $"blk.{parts[1]}.{BlockModule(parts[2])}",
            _ when parts.Length == 5 && parts[0] == "h" => $"blk.{parts[1]}.{BlockModule(parts[2] + "." + parts[3])}",
            _ => null,
        };
        if (mapped is null || mapped.EndsWith('.'))
            throw new InvalidOperationException($"parameter '{name}' has no tensor in llama.cpp's GPT-2 layout; only a plain GPT-2 can be exported to GGUF.");
        return $"{mapped}.{suffix}";
    }

    private static string BlockModule(string module) => module switch
    {
        "ln_1" => "attn_norm",
        "attn.c_attn" => "attn_qkv",
        "attn.c_proj" => "attn_output",
        "ln_2" => "ffn_norm",
        "mlp.c_fc" => "ffn_up",
        "mlp.c_proj" => "ffn_down",
        _ => "",
    };

    private static GgufWriter Describe(GptModel model, BpeTokenizer tokenizer, GgufType type, string name)
    {
        var config = model.Config;
        var writer = new GgufWriter();
        writer.Add("general.architecture", "gpt2");
        writer.Add("general.name", name);
        writer.Add("general.file_type", FileType(type));
        writer.Add("general.quantization_version", 2u);   // GGML_QNT_VERSION, which the converter writes into every file
        writer.Add("gpt2.context_length", (uint)config.ContextLength);
        writer.Add("gpt2.embedding_length", (uint)config.EmbeddingSize);
        writer.Add("gpt2.feed_forward_length", (uint)config.MlpSize);
        writer.Add("gpt2.block_count", (uint)config.LayerCount);
        writer.Add("gpt2.attention.head_count", (uint)config.HeadCount);
        writer.Add("gpt2.attention.layer_norm_epsilon", config.LayerNormEpsilon);
        GgufVocabulary.Add(writer, tokenizer, config.VocabularySize);

        foreach (var p in model.Parameters.Items)
        {
            string ggufName = GgufName(p.Name);
            writer.AddTensor(ggufName, TensorType(ggufName, p.Shape.Rank, p.Shape[p.Shape.Rank - 1], type), Dims(p), values => Download(p, values));
        }

        // GPT-2's LM head is the token embedding; llama.cpp reads it as its own tensor, as the converter writes it.
        var head = model.TokenEmbedding;
        writer.AddTensor("output.weight", TensorType("output.weight", 2, head.Shape[1], type), Dims(head), values => Download(head, values));
        return writer;
    }

    private static List<string> TensorNames(GptModel model) => [.. model.Parameters.Items.Select(p => GgufName(p.Name)), "output.weight"];

    // The converter's rule: 1-D tensors (biases, norms) and the position table stay F32; a matrix Q8_0 cannot hold (rows not
    // whole blocks) falls back to F16.
    private static GgufType TensorType(string name, int rank, int rowLength, GgufType requested)
    {
        if (rank == 1 || name.StartsWith("position_embd.", StringComparison.Ordinal)) return GgufType.F32;
        return requested == GgufType.Q8_0 && rowLength % Q8Blocks.BlockSize != 0 ? GgufType.F16 : requested;
    }

    // Values are (out, in) row-major in memory, the layout ggml's matmul takes (ne = [in, out]), so Conv1D layers need no
    // transpose here, unlike the converter, which reads them from (in, out) files.
    private static long[] Dims(Parameter p)
    {
        var dims = new long[p.Shape.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = p.Shape[i];
        return dims;
    }

    private static void Download(Parameter p, Span<float> destination)
    {
        var segment = p.Segment;
        segment.Device.Download(new Slice<float>(segment.Values, p.Offset, p.Value.Length), destination);
    }
}
