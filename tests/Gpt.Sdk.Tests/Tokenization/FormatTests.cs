using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>Every file format loads the same vocabulary; malformed files are refused with file and line.</summary>
public sealed class FormatTests
{
    private static BpeTokenizer Gpt2 => Gpt2Fixture.Tokenizer;

    [Fact]
    public void AllFormats_LoadTheSameVocabulary()
    {
        using var temp = new TempFolder();
        Gpt2.Save(temp["hf"]);
        Directory.CreateDirectory(temp["vocab-merges"]);
        File.Copy(Path.Combine(temp["hf"], "vocab.json"), Path.Combine(temp["vocab-merges"], "vocab.json"));
        File.Copy(Path.Combine(temp["hf"], "merges.txt"), Path.Combine(temp["vocab-merges"], "merges.txt"));
        Gpt2.SaveTiktoken(temp["gpt2.tiktoken"]);

        var loaded = new Dictionary<string, BpeTokenizer>
        {
            ["tokenizer.json"] = BpeTokenizer.LoadTokenizerJson(Path.Combine(temp["hf"], "tokenizer.json")),
            ["vocab.json + merges.txt"] = BpeTokenizer.FromPretrained(temp["vocab-merges"]),
            ["tiktoken"] = BpeTokenizer.FromPretrained(temp["gpt2.tiktoken"]),
            ["encoder.json + vocab.bpe"] = BpeTokenizer.LoadOpenAi(
                Path.Combine(Gpt2Fixture.Gpt2Folder, "encoder.json"), Path.Combine(Gpt2Fixture.Gpt2Folder, "vocab.bpe")),
        };
        foreach (var (format, tokenizer) in loaded)
        {
            Assert.True(Gpt2.VocabularySize == tokenizer.VocabularySize, format);
            Assert.True(Gpt2.MergeCount == tokenizer.MergeCount, format);
            Assert.Equal(Gpt2.SpecialTokens.OrderBy(p => p.Value), tokenizer.SpecialTokens.OrderBy(p => p.Value));
            for (int id = 0; id < Gpt2.VocabularySize; id++)
                Assert.True(Gpt2.GetTokenBytes(id).SequenceEqual(tokenizer.GetTokenBytes(id)), $"{format}: token {id} differs");
            foreach (var golden in Gpt2Fixture.Goldens.Take(1500))
                Gpt2ParityTests.AssertIds(golden, tokenizer.Encode(golden.Text, golden.AllowSpecial));
        }
    }

    [Fact]
    public void SaveTiktoken_WritesOneBase64TokenAndRankPerLine()
    {
        using var temp = new TempFolder();
        Gpt2.SaveTiktoken(temp["gpt2.tiktoken"]);
        string[] lines = File.ReadAllLines(temp["gpt2.tiktoken"]);
        Assert.Equal(50256, lines.Length);
        Assert.Equal("IQ== 0", lines[0]);                 // "!"
        Assert.Equal("IHdvcmxk 995", lines[995]);          // " world"
    }

    [Fact]
    public void Save_KeepsAddedSpecialTokens()
    {
        using var temp = new TempFolder();
        var chat = Gpt2.WithSpecialTokens(WellKnownSpecialTokens.MessageStart, WellKnownSpecialTokens.MessageEnd);
        chat.Save(temp.Path);
        foreach (var reloaded in new[] { BpeTokenizer.FromPretrained(temp.Path), BpeTokenizer.LoadHuggingFace(temp["vocab.json"], temp["merges.txt"]) })
        {
            Assert.Equal(chat.SpecialTokens.OrderBy(p => p.Value), reloaded.SpecialTokens.OrderBy(p => p.Value));
            const string text = "<|im_start|>system\nBe brief.<|im_end|>";
            Assert.Equal(chat.Encode(text, allowSpecialTokens: true), reloaded.Encode(text, allowSpecialTokens: true));
        }
    }

    [Fact]
    public void FromPretrained_FindsWhicheverFormatIsThere()
    {
        using var temp = new TempFolder();
        var tiny = new TinyVocabulary();
        tiny.Write(temp["hf"]);
        Directory.CreateDirectory(temp["openai"]);
        File.Copy(Path.Combine(temp["hf"], "vocab.json"), Path.Combine(temp["openai"], "encoder.json"));
        File.Copy(Path.Combine(temp["hf"], "merges.txt"), Path.Combine(temp["openai"], "vocab.bpe"));
        var reference = BpeTokenizer.FromPretrained(temp["hf"]);
        Directory.CreateDirectory(temp["tiktoken"]);
        reference.SaveTiktoken(Path.Combine(temp["tiktoken"], "tiny.tiktoken"));
        reference.Save(temp["saved"]);
        File.Delete(Path.Combine(temp["saved"], "vocab.json")); // tokenizer.json alone must do

        foreach (string folder in new[] { "hf", "openai", "tiktoken", "saved" })
        {
            var tokenizer = BpeTokenizer.FromPretrained(temp[folder]);
            Assert.Equal(reference.VocabularySize, tokenizer.VocabularySize);
            Assert.Equal([258, 259], tokenizer.Encode(" theab"));
            Assert.Equal([259, 260], tokenizer.Encode("ab<|endoftext|>", allowSpecialTokens: true));
        }

        Assert.Throws<DirectoryNotFoundException>(() => BpeTokenizer.FromPretrained(temp["missing"]));
        Directory.CreateDirectory(temp["empty"]);
        Assert.Throws<FileNotFoundException>(() => BpeTokenizer.FromPretrained(temp["empty"]));
    }

    [Fact]
    public void VocabularyJson_BadJson_NamesFileAndLine()
    {
        var tiny = new TinyVocabulary();
        tiny.VocabularyLines[TinyVocabulary.LineOfId(10) - 1] = "  \"+\" 10,"; // missing colon
        AssertRefused(tiny, "vocab.json", TinyVocabulary.LineOfId(10), "JSON");
    }

    [Fact]
    public void VocabularyJson_DuplicateId_NamesFileAndLine()
    {
        var tiny = new TinyVocabulary();
        tiny.VocabularyLines[TinyVocabulary.LineOfId(20) - 1] = "  \"5\": 19,";
        AssertRefused(tiny, "vocab.json", TinyVocabulary.LineOfId(20), "id 19");
    }

    [Fact]
    public void VocabularyJson_NonIntegerId_NamesFileAndLine()
    {
        var tiny = new TinyVocabulary();
        tiny.VocabularyLines[TinyVocabulary.LineOfId(30) - 1] = "  \"?\": \"thirty\",";
        AssertRefused(tiny, "vocab.json", TinyVocabulary.LineOfId(30), "integer");
    }

    [Fact]
    public void VocabularyJson_MissingByteToken_IsRefused()
    {
        var tiny = new TinyVocabulary();
        tiny.VocabularyLines.RemoveAt(TinyVocabulary.LineOfId(0) - 1); // "!" (byte 0x21)
        var error = AssertRefused(tiny, "vocab.json", null, "0x21");
        Assert.Contains("256", error.Message);
    }

    [Fact]
    public void Merges_UnknownToken_NamesFileAndLine()
    {
        var tiny = new TinyVocabulary();
        tiny.MergeLines[TinyVocabulary.LineOfMerge(2) - 1] = "Ġtx he";
        AssertRefused(tiny, "merges.txt", TinyVocabulary.LineOfMerge(2), "'Ġtx'");
    }

    [Fact]
    public void Merges_ResultNotInVocabulary_NamesFileAndLine()
    {
        var tiny = new TinyVocabulary();
        tiny.MergeLines.Add("b a");
        AssertRefused(tiny, "merges.txt", TinyVocabulary.LineOfMerge(4), "'ba'");
    }

    [Fact]
    public void Merges_BadLineAndDuplicate_NameFileAndLine()
    {
        var tiny = new TinyVocabulary();
        tiny.MergeLines[TinyVocabulary.LineOfMerge(1) - 1] = "h e x";
        AssertRefused(tiny, "merges.txt", TinyVocabulary.LineOfMerge(1), "two tokens");

        tiny = new TinyVocabulary();
        tiny.MergeLines.Add("h e");
        AssertRefused(tiny, "merges.txt", TinyVocabulary.LineOfMerge(4), "twice");
    }

    [Fact]
    public void Tiktoken_Malformed_NamesFileAndLine()
    {
        using var temp = new TempFolder();
        new TinyVocabulary().Write(temp["tiny"]);
        var tiny = BpeTokenizer.FromPretrained(temp["tiny"]);
        string path = temp["tiny.tiktoken"];
        tiny.SaveTiktoken(path);
        string[] good = File.ReadAllLines(path);

        AssertTiktokenRefused(path, Replace(good, 40, "IQ== 40"), 41, "twice");           // token "!" again
        AssertTiktokenRefused(path, Replace(good, 41, "Ig== 7"), 42, "rank 7");          // rank taken
        AssertTiktokenRefused(path, Replace(good, 42, "I$Q== 42"), 43, "base64");
        AssertTiktokenRefused(path, Replace(good, 43, "IQ==43"), 44, "<rank>");
        AssertTiktokenRefused(path, Replace(good, 44, "Lg== -1"), 45, "rank");
        AssertTiktokenRefused(path, good.Where((_, i) => i != 3).ToArray(), null, "0x24");  // no token for "$"
    }

    [Fact]
    public void TokenizerJson_OtherModelsAndPipelines_AreRefused()
    {
        using var temp = new TempFolder();
        Gpt2Fixture.Tokenizer.Save(temp.Path);
        string path = temp["tokenizer.json"];
        string json = File.ReadAllText(path);

        File.WriteAllText(path, json.Replace("\"type\": \"BPE\"", "\"type\": \"WordPiece\""));
        Assert.Contains("WordPiece", Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.LoadTokenizerJson(path)).Message);

        File.WriteAllText(path, json.Replace("\"pre_tokenizer\": {\n    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": false",
            "\"pre_tokenizer\": {\n    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": true"));
        var error = Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.LoadTokenizerJson(path));
        Assert.Contains("add_prefix_space", error.Message);
        Assert.Equal(path, error.FileName);

        File.WriteAllText(path, json[..(json.Length / 2)]);
        error = Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.LoadTokenizerJson(path));
        Assert.Contains("JSON", error.Message);
        Assert.NotNull(error.LineNumber);
    }

    private static TokenizerFormatException AssertRefused(TinyVocabulary tiny, string file, int? line, string mention)
    {
        using var temp = new TempFolder();
        var (vocabulary, merges) = tiny.Write(temp.Path);
        var error = Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.LoadHuggingFace(vocabulary, merges));
        Assert.Equal(temp[file], error.FileName);
        Assert.Equal(line, error.LineNumber);
        Assert.Contains(mention, error.Message);
        Assert.StartsWith(line is null ? $"{temp[file]}: " : $"{temp[file]}:{line}: ", error.Message);
        return error;
    }

    private static void AssertTiktokenRefused(string path, string[] lines, int? line, string mention)
    {
        File.WriteAllLines(path, lines);
        var error = Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.LoadTiktoken(path));
        Assert.Equal(path, error.FileName);
        Assert.Equal(line, error.LineNumber);
        Assert.Contains(mention, error.Message);
    }

    private static string[] Replace(string[] lines, int index, string line)
    {
        string[] copy = (string[])lines.Clone();
        copy[index] = line;
        return copy;
    }
}
