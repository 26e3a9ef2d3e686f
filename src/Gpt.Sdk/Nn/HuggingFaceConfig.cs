using System.Text.Json;
using Gpt.Sdk.IO;

namespace Gpt.Sdk.Nn;

/// <summary>
/// Reads and writes a Hugging Face GPT-2 <c>config.json</c> (the file <c>GPT2Config.from_pretrained</c>
/// loads) as a <see cref="GptConfig"/>.
/// </summary>
/// <remarks>
/// Keys that are absent take <c>GPT2Config</c>'s defaults (GPT-2 small, dropout 0.1), as Hugging Face
/// does. Settings the SDK's model does not implement (another <c>model_type</c>, exact-erf GELU, an
/// MLP width other than 4 × <c>n_embd</c>, unscaled or layer-scaled attention, an untied LM head) are
/// refused rather than silently loaded into a model that would compute something else.
/// </remarks>
public static class HuggingFaceConfig
{
    /// <summary>The file's name inside a Hugging Face model folder.</summary>
    public const string FileName = "config.json";

    // gelu_new, gelu_pytorch_tanh and gelu_fast are all 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    private static readonly string[] TanhGelus = ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"];

    /// <summary>Reads a GPT-2 configuration.</summary>
    /// <param name="path">A <c>config.json</c> file, or a model folder holding one.</param>
    /// <returns>The validated configuration. <see cref="GptConfig.Dropout"/> comes from <c>resid_pdrop</c>;
    /// the SDK uses one rate, so differing <c>embd_pdrop</c>/<c>attn_pdrop</c> are not kept.</returns>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="ModelFileException">The file is not valid JSON, is not a GPT-2 configuration
    /// the SDK can build, or describes an invalid shape; the message names the key.</exception>
    public static GptConfig Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
            throw new FileNotFoundException(
                $"'{file}' does not exist; a Hugging Face GPT-2 model folder needs a {FileName} beside its weights (model.safetensors).", file);

        JsonDocument document;
        try
        {
            byte[] bytes = File.ReadAllBytes(file);
            // Editors on Windows may save a UTF-8 byte-order mark, which the JSON parser does not skip.
            int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
            document = JsonDocument.Parse(bytes.AsMemory(start));
        }
        catch (JsonException e)
        {
            throw new ModelFileException(file,
                $"'{file}' is not valid JSON: {ModelFileException.DescribeJsonError(e)}. Fix or re-download the file.",
                innerException: e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFileException(file, $"'{file}' holds a JSON {document.RootElement.ValueKind}; a config.json is a JSON object.");
            return Parse(new Reader(file, document.RootElement));
        }
    }

    /// <summary>
    /// Writes <paramref name="config"/> as a complete GPT-2 <c>config.json</c> that Hugging Face
    /// <c>GPT2Config.from_pretrained</c> accepts, replacing any existing file atomically.
    /// </summary>
    /// <remarks>
    /// <c>bos_token_id</c>/<c>eos_token_id</c> are GPT-2's <c>&lt;|endoftext|&gt;</c> (50256) when the vocabulary
    /// contains that id, and <c>null</c> otherwise: left out, Hugging Face would default them to 50256,
    /// an id a smaller model cannot embed or produce.
    /// </remarks>
    /// <param name="path">The file to write, or an existing folder to write <c>config.json</c> into.</param>
    /// <param name="config">The configuration; it must pass <see cref="GptConfig.Validate"/>.</param>
    public static void Write(string path, GptConfig config) => Write(path, config, "float32");

    /// <summary><see cref="Write(string, GptConfig)"/> naming the weights' type in <c>torch_dtype</c> (<c>bfloat16</c> for a bf16 file).</summary>
    internal static void Write(string path, GptConfig config, string torchDtype)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        string file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        const int endOfText = 50256;
        int? specialToken = config.VocabularySize > endOfText ? endOfText : null;

        AtomicFile.Write(file, stream =>
        {
            // Keys sorted, as Hugging Face's save_pretrained writes them.
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("activation_function", "gelu_new");
                json.WriteStartArray("architectures");
                json.WriteStringValue("GPT2LMHeadModel");
                json.WriteEndArray();
                json.WriteNumber("attn_pdrop", config.Dropout);
                WriteOptional(json, "bos_token_id", specialToken);
                json.WriteNumber("embd_pdrop", config.Dropout);
                WriteOptional(json, "eos_token_id", specialToken);
                json.WriteNumber("initializer_range", 0.02);
                json.WriteNumber("layer_norm_epsilon", config.LayerNormEpsilon);
                json.WriteString("model_type", "gpt2");
                json.WriteNumber("n_ctx", config.ContextLength); // read by older transformers versions
                json.WriteNumber("n_embd", config.EmbeddingSize);
                json.WriteNumber("n_head", config.HeadCount);
                json.WriteNull("n_inner");
                json.WriteNumber("n_layer", config.LayerCount);
                json.WriteNumber("n_positions", config.ContextLength);
                json.WriteBoolean("reorder_and_upcast_attn", false);
                json.WriteNumber("resid_pdrop", config.Dropout);
                json.WriteBoolean("scale_attn_by_inverse_layer_idx", false);
                json.WriteBoolean("scale_attn_weights", true);
                json.WriteBoolean("tie_word_embeddings", true);
                json.WriteString("torch_dtype", torchDtype);
                json.WriteBoolean("use_cache", true);
                json.WriteNumber("vocab_size", config.VocabularySize);
                json.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        });
    }

    private static GptConfig Parse(Reader reader)
    {
        string? modelType = reader.String("model_type");
        if (modelType is not null && modelType != "gpt2")
            throw reader.Error("model_type", $"model_type is '{modelType}'; only GPT-2 models (model_type \"gpt2\") are supported");

        string activation = reader.String("activation_function") ?? "gelu_new";
        if (activation == "gelu")
            throw reader.Error("activation_function",
                "activation_function is 'gelu' (the exact erf form), but the SDK implements GPT-2's tanh approximation; " +
                "set it to 'gelu_new' if the small difference in outputs is acceptable");
        if (Array.IndexOf(TanhGelus, activation) < 0)
            throw reader.Error("activation_function",
                $"activation_function is '{activation}'; the SDK implements only the tanh GELU ({string.Join(", ", TanhGelus)})");

        int embeddingSize = reader.Int("n_embd", 768);
        int? inner = reader.NullableInt("n_inner");
        if (inner is { } width && (long)width != 4L * embeddingSize)
            throw reader.Error("n_inner",
                $"n_inner is {width} but the SDK's MLP is 4 × n_embd = {4L * embeddingSize} wide; set n_inner to null or {4L * embeddingSize}, or use another model");
        if (!reader.Bool("scale_attn_weights", true))
            throw reader.Error("scale_attn_weights", "scale_attn_weights is false; the SDK always scales attention scores by 1/√head_size");
        if (reader.Bool("scale_attn_by_inverse_layer_idx", false))
            throw reader.Error("scale_attn_by_inverse_layer_idx", "scale_attn_by_inverse_layer_idx is true; the SDK does not scale attention by layer");
        if (!reader.Bool("tie_word_embeddings", true))
            throw reader.Error("tie_word_embeddings", "tie_word_embeddings is false; the SDK ties the LM head to the token embedding");

        int contextLength = reader.Has("n_positions") ? reader.Int("n_positions", 1024) : reader.Int("n_ctx", 1024);
        var config = new GptConfig
        {
            VocabularySize = reader.Int("vocab_size", 50257),
            ContextLength = contextLength,
            EmbeddingSize = embeddingSize,
            LayerCount = reader.Int("n_layer", 12),
            HeadCount = reader.Int("n_head", 12),
            Dropout = (float)reader.Number("resid_pdrop", 0.1),
            LayerNormEpsilon = (float)reader.Number("layer_norm_epsilon", 1e-5),
        };
        try
        {
            return config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFileException(reader.File, $"'{reader.File}' describes a model that cannot be built: {e.Message}", innerException: e);
        }
    }

    private static void WriteOptional(Utf8JsonWriter json, string key, int? value)
    {
        if (value is { } v) json.WriteNumber(key, v);
        else json.WriteNull(key);
    }

    /// <summary>Typed access to the top-level keys, with errors that name the file and key.</summary>
    private readonly struct Reader(string file, JsonElement root)
    {
        public string File => file;

        public bool Has(string key) => root.TryGetProperty(key, out JsonElement value) && value.ValueKind != JsonValueKind.Null;

        public ModelFileException Error(string key, string problem) =>
            new(file, $"'{file}': {problem}.", key);

        public string? String(string key)
        {
            if (!root.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
            return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(key, value, "a string");
        }

        public int? NullableInt(string key)
        {
            if (!root.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result)
                ? result
                : throw WrongType(key, value, "a 32-bit integer");
        }

        public int Int(string key, int fallback) => NullableInt(key) ?? fallback;

        public double Number(string key, double fallback)
        {
            if (!root.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return fallback;
            return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw WrongType(key, value, "a number");
        }

        public bool Bool(string key, bool fallback)
        {
            if (!root.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return fallback;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw WrongType(key, value, "true or false"),
            };
        }

        private ModelFileException WrongType(string key, JsonElement value, string expected) =>
            Error(key, $"{key} is {value.GetRawText()}; it must be {expected}");
    }
}
