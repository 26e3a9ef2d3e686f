using Gpt.Cli.Commands.Bench;

namespace Gpt.Cli.Tests;

/// <summary><c>gpt bench align --from-sft</c>: an SFT folder is reused only by a run with the settings that made it, and
/// anything else is refused before any training, with what differs. (The benchmark itself takes minutes and is not run
/// here; docs/alignment.md has its figures.)</summary>
public sealed class AlignBenchCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-align-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string StampedSft(AlignBench.Settings settings)
    {
        string sft = Path.Combine(_folder, AlignBench.SftFolder);
        Directory.CreateDirectory(sft);
        AlignSftStamp.Write(sft, settings);
        return sft;
    }

    [Fact]
    public void AStampMatchesTheSettingsThatWroteIt()
    {
        var settings = new AlignBench.Settings { World = new AlignWorld.Settings { Seed = 5 }, SftSteps = 123 };
        string sft = StampedSft(settings);
        AlignSftStamp.Check(sft, settings with { PpoIterations = 7, DpoBeta = 0.3f });  // later stages do not make the SFT model
        var error = Assert.Throws<ArgumentException>(() => AlignSftStamp.Check(sft, settings with { SftLearningRate = 5e-4f }));
        Assert.Contains("sft_learning_rate 0.001 (this run: 0.0005)", error.Message);
    }

    [Fact]
    public void AnSftFolderOfAnotherSeedIsRefused()
    {
        string sft = StampedSft(new AlignBench.Settings { World = new AlignWorld.Settings { Seed = 1 } });
        var result = GptProcess.Run("bench", "align", "--data", _folder, "--seed", "2", "--from-sft");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"--from-sft: the SFT model in '{sft}' was made with other settings: seed 1 (this run: 2)", result.Stderr);
        Assert.Equal([AlignSftStamp.FileName], Directory.GetFileSystemEntries(sft).Select(Path.GetFileName));
        Assert.Equal([sft], Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void AnSftFolderOfOtherStepsIsRefused()
    {
        StampedSft(new AlignBench.Settings());
        var result = GptProcess.Run("bench", "align", "--data", _folder, "--sft-steps", "10", "--from-sft");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("sft_steps 300 (this run: 10)", result.Stderr);
    }

    [Fact]
    public void AMissingOrUnstampedSftFolderIsRefused()
    {
        var missing = GptProcess.Run("bench", "align", "--data", _folder, "--from-sft");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("--from-sft: there is no SFT model in", missing.Stderr);

        Directory.CreateDirectory(Path.Combine(_folder, AlignBench.SftFolder));
        var unstamped = GptProcess.Run("bench", "align", "--data", _folder, "--from-sft");
        Assert.Equal(1, unstamped.ExitCode);
        Assert.Contains($"has no {AlignSftStamp.FileName}, so nothing says which run made it", unstamped.Stderr);
    }

    [Fact]
    public void FromSftWithDataOnlyIsRefused()
    {
        var result = GptProcess.Run("bench", "align", "--data", _folder, "--from-sft", "--data-only");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--data-only writes the world and stops; --from-sft trains from an SFT model: give one of them.", result.Stderr);
    }
}
