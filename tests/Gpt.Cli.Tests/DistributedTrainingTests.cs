using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Gpt.Cli.Tests;

/// <summary><c>mpirun -np 2 gpt train …</c> on this machine (loopback): the same losses as one process with twice the
/// batch, checkpoints that resume bit-identically on 2 ranks and load on 1, a dead or hung rank that ends the job with an
/// error naming it within the collective timeout, and a clear error where MPI is not installed.</summary>
public sealed partial class DistributedTrainingTests : IDisposable
{
    // The two runs sum each batch's gradient in a different order (two halves, then MPI's sum, against one pass over the
    // whole batch): float rounding that AdamW carries forward. Over 100 steps of this model the largest difference seen
    // was 1e-6 (the last printed digit); 1e-4 leaves room for other CPUs' rounding and is still a thousand times smaller
    // than what the run's 100 steps change the loss by.
    private const double LossTolerance = 1e-4;

    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-mpi-").FullName;

    public DistributedTrainingTests()
    {
        var random = new Random(7);
        string[] words = ["the", "cat", "sat", "on", "mat", "dog", "log", "ran", "far", "away", "home", "and"];
        File.WriteAllText(Data, string.Join(' ', Enumerable.Range(0, 4000).Select(_ => words[random.Next(words.Length)])));
    }

    private string Data => Path.Combine(_folder, "data.txt");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string[] Train(string folder, int batch, int steps, params string[] extra) =>
    [
        "train", "--data", Data, "--out", folder, "--layers", "1", "--heads", "2", "--width", "16", "--context", "16", "--batch", batch.ToString(CultureInfo.InvariantCulture),
        "--steps", steps.ToString(CultureInfo.InvariantCulture), "--warmup", "10", "--lr", "3e-3", "--eval-interval", "0", "--checkpoint-interval", "5", "--log-steps", .. extra,
    ];

    [MpiFact]
    public void TwoRanksOfBatchBGiveTheLossesOfOneProcessOfBatch2BOver100Steps()
    {
        var one = Gpt(Train(Path.Combine(_folder, "one"), batch: 8, steps: 100), threads: 2);
        Assert.True(one.ExitCode == 0, one.Stderr);
        var two = Mpi(2, Train(Path.Combine(_folder, "two"), batch: 4, steps: 100));
        Assert.True(two.ExitCode == 0, two.Stderr);
        Assert.Contains("data-parallel: 2 ranks over Open MPI", two.Stderr);

        var expected = Losses(one.Stderr);
        var actual = Losses(two.Stderr);
        Assert.Equal(100, expected.Count);
        Assert.Equal(expected.Keys, actual.Keys);   // rank 0 alone reports: one line per step
        double worst = expected.Max(p => Math.Abs(p.Value - actual[p.Key]));
        Assert.True(worst <= LossTolerance, $"largest loss difference {worst:E2} over 100 steps");
        Assert.True(expected[1] - expected[100] > 0.5, "the runs learn, so equal losses say something");
    }

    [MpiFact]
    public void ATwoRankCheckpointResumesBitIdenticallyOnTwoRanksAndLoadsOnOne()
    {
        string straight = Path.Combine(_folder, "straight"), resumed = Path.Combine(_folder, "resumed"), single = Path.Combine(_folder, "single");
        var whole = Mpi(2, Train(straight, batch: 4, steps: 20));
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        var first = Mpi(2, Train(resumed, batch: 4, steps: 10));
        Assert.True(first.ExitCode == 0, first.Stderr);
        CopyFolder(resumed, single);

        var second = Mpi(2, Train(resumed, batch: 4, steps: 20));
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("resuming from step 10", second.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "checkpoint.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model.safetensors")));

        var alone = Gpt(Train(single, batch: 8, steps: 20), threads: 2);
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.Contains("resuming from step 10", alone.Stderr);
        var expected = Losses(whole.Stderr);
        foreach (var (step, loss) in Losses(alone.Stderr)) Assert.True(Math.Abs(loss - expected[step]) <= LossTolerance, $"step {step}: {loss} vs {expected[step]}");
    }

    // SIGKILL: Open MPI's launcher sees the rank die and ends the job, naming it.
    [MpiFact]
    public void KillingARankEndsTheJobNamingItAndLeavesTheLastCheckpoint() => LoseRankOne(signal: 9, "rank 1");

    // SIGSTOP: the rank hangs without dying, which only the collective timeout can tell: rank 0 names it and aborts the job.
    [MpiFact]
    public void AHungRankTimesOutTheCollectiveNamingItAndLeavesTheLastCheckpoint() => LoseRankOne(signal: 19, "rank 1 did not arrive");

    [Fact]
    public void AskingForMpiWithoutTheLibraryIsAClearErrorAndTheSingleProcessPathWorks()
    {
        var missing = Gpt(Train(Path.Combine(_folder, "missing"), batch: 4, steps: 2, "--distributed", "mpi"), threads: 1,
            ("GPT_MPI_LIBRARY", "libmpi-not-installed.so.40"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("libmpi-not-installed.so.40", missing.Stderr);
        Assert.Contains("apt-get install openmpi-bin", missing.Stderr);

        var alone = Gpt(Train(Path.Combine(_folder, "alone"), batch: 4, steps: 2, "--distributed", "none"), threads: 1,
            ("GPT_MPI_LIBRARY", "libmpi-not-installed.so.40"));
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        Assert.DoesNotContain("data-parallel", alone.Stderr);
    }

    private void LoseRankOne(int signal, string expectedError)
    {
        const int TimeoutSeconds = 4;
        string folder = Path.Combine(_folder, $"lost{signal}");
        var start = MpiStart(2, Train(folder, batch: 4, steps: 1_000_000, "--collective-timeout", TimeoutSeconds.ToString(CultureInfo.InvariantCulture)));
        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = new StringBuilder();
            var clock = new Stopwatch();
            while (process.StandardError.ReadLine() is { } line)
            {
                stderr.AppendLine(line);
                if (clock.IsRunning || !line.StartsWith("step 12/", StringComparison.Ordinal)) continue;
                int rank1 = RankProcess(folder, 1);
                Assert.Equal(0, Kill(rank1, signal));
                clock.Start();
            }

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "mpirun did not end");
            Assert.True(clock.IsRunning, $"the run never reached step 12:\n{stderr}");
            Assert.NotEqual(0, process.ExitCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(TimeoutSeconds + 10), $"the job took {clock.Elapsed} to end");
            Assert.Contains(expectedError, stderr + stdout.Result);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        // The last checkpoint (step 10, or 15 if written before the rank went) is whole: a single process resumes from it.
        var resumed = Gpt(Train(folder, batch: 8, steps: 21), threads: 2);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Matches(ResumedFrom(), resumed.Stderr);
    }

    private static Dictionary<int, double> Losses(string stderr) =>
        StepLine().Matches(stderr).ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^step (\d+)/\d+ \| loss ([0-9.]+) ", RegexOptions.Multiline)]
    private static partial Regex StepLine();

    [GeneratedRegex(@"resuming from step (10|15)\b")]
    private static partial Regex ResumedFrom();

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    // The rank's process: the `dotnet gpt.dll` child of mpirun whose environment says it is that rank of this run.
    private static int RankProcess(string folder, int rank)
    {
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string command = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (!command.Contains("gpt.dll", StringComparison.Ordinal) || !command.Contains(folder, StringComparison.Ordinal)) continue;
                if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}")) return pid;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        throw new InvalidOperationException($"no process of rank {rank} found for {folder}");
    }

    private static ProcessStartInfo MpiStart(int ranks, string[] args)
    {
        var start = new ProcessStartInfo(MpiFactAttribute.Path_) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in (string[])["--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(CultureInfo.InvariantCulture), "dotnet", GptDll, .. args])
            start.ArgumentList.Add(arg);
        return start;
    }

    private static GptProcess.Result Mpi(int ranks, string[] args) => Wait(MpiStart(ranks, args));

    private static GptProcess.Result Gpt(string[] args, int threads, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(GptDll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["GPT_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Wait(start);
    }

    private static GptProcess.Result Wait(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in 2 minutes.");
        }

        return new GptProcess.Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string GptDll => Path.Combine(AppContext.BaseDirectory, "gpt.dll");

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
