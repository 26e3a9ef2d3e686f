using Gpt.Sdk.IO.Gguf;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.IO.Gguf;

public class GgufExportRefusalTests
{
    private static (GptModel Model, BpeTokenizer Tokenizer) TinyModel(int vocabularyExtra = 0)
    {
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat, the cat sat on the hat\n"], new BpeTrainerOptions { VocabularySize = 262 });
        var config = new GptConfig
        {
            VocabularySize = tokenizer.VocabularySize + vocabularyExtra, ContextLength = 8, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2,
        };
        return (new GptModel(config, seed: 1), tokenizer);
    }

    [Fact]
    public async Task AnUnsupportedTypeIsRefusedAndNothingIsWritten()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => GgufExport.WriteAsync(model, tokenizer, folder.File("m.gguf"), (GgufType)2));
        Assert.Contains("F32, F16 or Q8_0", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public async Task ATokenizerWithIdsTheModelLacksIsRefusedAndNothingIsWritten()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        var bigger = tokenizer.WithSpecialTokens("<|fim_prefix|>");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => GgufExport.WriteAsync(model, bigger, folder.File("m.gguf"), GgufType.F16));
        Assert.Contains("not the model's tokenizer", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public async Task AMissingFolderIsRefusedWithItsName()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "absent", "m.gguf");
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => GgufExport.WriteAsync(model, tokenizer, path, GgufType.F32));
        Assert.Contains(Path.Combine(folder.Path, "absent"), error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public async Task AWeightQ8CannotHoldFailsMidFileAndLeavesThePreviousFile()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        string path = folder.File("m.gguf");
        File.WriteAllText(path, "previous");
        var values = new float[model.Parameters.Count];
        model.Parameters.CopyValuesTo(values);
        var fc = model.Parameters["h.0.mlp.c_fc.weight"];
        values[fc.Offset + 5] = float.NaN;
        model.Parameters.CopyValuesFrom(values);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => GgufExport.WriteAsync(model, tokenizer, path, GgufType.Q8_0));
        Assert.Contains("blk.0.ffn_up.weight", error.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public async Task CancellingMidFileLeavesThePreviousFileAndNoTemporaryFile()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        using var folder = new TempFolder();
        string path = folder.File("m.gguf");
        File.WriteAllText(path, "previous");
        using var cancellation = new CancellationTokenSource();
        int reports = 0;
        var progress = new SyncProgress<GgufExportProgress>(p =>
        {
            reports++;
            if (p.TensorsWritten == 3) cancellation.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GgufExport.WriteAsync(model, tokenizer, path, GgufType.F32, progress, cancellation.Token));
        Assert.Equal(3, reports);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public async Task NullArgumentsAreRefused()
    {
        var (model, tokenizer) = TinyModel();
        using var _ = model;
        await Assert.ThrowsAsync<ArgumentNullException>(() => GgufExport.WriteAsync(null!, tokenizer, "m.gguf", GgufType.F32));
        await Assert.ThrowsAsync<ArgumentNullException>(() => GgufExport.WriteAsync(model, null!, "m.gguf", GgufType.F32));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => GgufExport.WriteAsync(model, tokenizer, "", GgufType.F32));
    }

    [Fact]
    public void TheWriterRefusesDuplicatesAndRowsQ8CannotHold()
    {
        var writer = new GgufWriter();
        writer.Add("general.architecture", "gpt2");
        Assert.Throws<ArgumentException>(() => writer.Add("general.architecture", "gpt2"));
        writer.AddTensor("a", GgufType.F32, [2, 32], _ => { });
        Assert.Throws<ArgumentException>(() => writer.AddTensor("a", GgufType.F32, [2, 32], _ => { }));
        var error = Assert.Throws<ArgumentException>(() => writer.AddTensor("b", GgufType.Q8_0, [32, 24], _ => { }));
        Assert.Contains("rows of 24", error.Message);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("c", GgufType.F32, [0, 4], _ => { }));
    }
}
