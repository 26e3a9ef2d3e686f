using System.Text.Json;
using Gpt.Sdk.IO.Gguf;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Tests;

public sealed class ExportCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-cli-export-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly GptConfig Shape = new() { ContextLength = 16, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 };

    private (GptModel Model, BpeTokenizer Tokenizer, string Folder) SavedModel()
    {
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat and the dog sat on the log\n"], new BpeTrainerOptions { VocabularySize = 270 });
        var model = new GptModel(Shape with { VocabularySize = tokenizer.VocabularySize }, seed: 4);
        string folder = Path.Combine(_folder, "model");
        model.Save(folder, tokenizer);
        return (model, tokenizer, folder);
    }

    [Fact]
    public async Task Export_gguf_writes_the_file_the_library_writes_and_reports_it()
    {
        var (model, tokenizer, folder) = SavedModel();
        using var _ = model;
        string path = Path.Combine(_folder, "tiny.gguf");
        var result = GptProcess.Run("export", "gguf", "--model", folder, "--out", path, "--type", "q8_0");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var report = json.RootElement.GetProperty("export_gguf");
        Assert.Equal(path, report.GetProperty("out").GetString());
        Assert.Equal("q8_0", report.GetProperty("type").GetString());
        Assert.Equal(new FileInfo(path).Length, report.GetProperty("bytes").GetInt64());
        Assert.Equal(model.ParameterCount, report.GetProperty("parameters").GetInt64());

        // The same model and tokenizer exported in-process (under the same file name, which is the model's name in the file).
        string expected = Path.Combine(Directory.CreateDirectory(Path.Combine(_folder, "library")).FullName, "tiny.gguf");
        await GgufExport.WriteAsync(model, tokenizer, expected, GgufType.Q8_0);
        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(path));
    }

    [Fact]
    public void Export_gguf_defaults_to_f16()
    {
        var (model, _, folder) = SavedModel();
        using var _ = model;
        var result = GptProcess.Run("export", "gguf", "--model", folder, "--out", Path.Combine(_folder, "tiny.gguf"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("\"type\":\"f16\"", result.Stdout);
    }

    [Theory]
    [InlineData("q4_0", "choose one of f32, f16, q8_0")]
    [InlineData("F16", "choose one of f32, f16, q8_0")]
    public void An_unsupported_type_is_refused_and_nothing_is_written(string type, string message)
    {
        var (model, _, folder) = SavedModel();
        using var _ = model;
        string path = Path.Combine(_folder, "tiny.gguf");
        var result = GptProcess.Run("export", "gguf", "--model", folder, "--out", path, "--type", type);
        AssertRefused(result, message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_missing_model_is_refused_and_nothing_is_written()
    {
        string path = Path.Combine(_folder, "tiny.gguf");
        var result = GptProcess.Run("export", "gguf", "--model", Path.Combine(_folder, "absent"), "--out", path);
        AssertRefused(result, "does not exist");
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void An_unwritable_out_is_refused_and_nothing_is_written()
    {
        var (model, _, folder) = SavedModel();
        using var _ = model;
        AssertRefused(GptProcess.Run("export", "gguf", "--model", folder, "--out", Path.Combine(_folder, "absent", "tiny.gguf")), "does not exist");
        AssertRefused(GptProcess.Run("export", "gguf", "--model", folder, "--out", folder), "is a folder");
        Assert.Equal(["model"], Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_model_with_a_character_tokenizer_is_refused()
    {
        var tokenizer = CharTokenizer.FromCorpus("abc def\n");
        using var model = new GptModel(Shape with { VocabularySize = tokenizer.VocabularySize }, seed: 1);
        string folder = Path.Combine(_folder, "chars");
        model.Save(folder, tokenizer);
        string path = Path.Combine(_folder, "chars.gguf");
        AssertRefused(GptProcess.Run("export", "gguf", "--model", folder, "--out", path), "character tokenizer");
        Assert.False(File.Exists(path));
    }

    private static void AssertRefused(GptProcess.Result result, string message)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Equal("", result.Stdout);
    }
}
