using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench allreduce</c>: data parallelism on this machine. Launches <c>mpirun -np 2</c> ranks of itself, which time the
/// all-reduce of GPT-2 124M's fp32 gradients (as many floats as the model has parameters, in the trainer's buckets) and a
/// data-parallel GPT-2 124M training step (B=4 per rank, T=64, one thread per rank), then times the same global batch
/// (B=8) in one process with two threads; prints both and the scaling efficiency.
/// </summary>
/// <remarks>
/// Bandwidths as nccl-tests define them: algorithm bandwidth = bytes / time; bus bandwidth = algorithm bandwidth ×
/// 2(n − 1)/n, the traffic each rank's link carries in a ring all-reduce, comparable across rank counts (equal to the
/// algorithm bandwidth for n = 2). On one machine the "link" is shared memory, and the sum's arithmetic runs on the same
/// cores as the copy.
/// </remarks>
internal static class AllReduceBenchCommand
{
    private const int RowsPerRank = 4, SequenceLength = 64;

    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Timed training steps per configuration (after one warm-up step).", DefaultValueFactory = _ => 3 };
        var repeats = new Option<int>("--repeats") { Description = "Timed all-reduces (after one warm-up).", DefaultValueFactory = _ => 5 };
        var part = new Option<string>("--part") { Hidden = true, DefaultValueFactory = _ => "all" };
        part.AcceptOnlyFromAmong("all", "ranks", "single");
        var command = new Command("allreduce",
            "Data-parallel benchmark: all-reduce bandwidth of GPT-2 124M fp32 gradients between 2 local MPI ranks, and the scaling " +
            "efficiency of a 2-rank training step (1 thread per rank) over 1 process with 2 threads; prints {\"allreduce\":{...}} JSON.")
        {
            steps, repeats, part,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int timedSteps = Math.Max(1, parse.GetValue(steps)), timedRepeats = Math.Max(1, parse.GetValue(repeats));
            switch (parse.GetValue(part))
            {
                case "ranks":
                    Ranks(timedSteps, timedRepeats);
                    return 0;
                case "single":
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["step"] = TimeSteps(null, timedSteps) }));
                    return 0;
            }

            string[] common = ["bench", "allreduce", "--steps", $"{timedSteps}", "--repeats", $"{timedRepeats}", "--part"];
            Console.Error.WriteLine("allreduce: 2 MPI ranks, 1 thread each (all-reduce, then GPT-2 124M steps of B=4 per rank)");
            var ranks = await BenchChild.RunAsync("2-rank", ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"], [.. common, "ranks"],
                new Dictionary<string, string> { ["GPT_NUM_THREADS"] = "1" }, cancellationToken);
            Console.Error.WriteLine("allreduce: 1 process, 2 threads (GPT-2 124M steps of B=8)");
            var single = await BenchChild.RunAsync("1-rank", [], [.. common, "single"],
                new Dictionary<string, string> { ["GPT_NUM_THREADS"] = "2" }, cancellationToken);

            double twoRanks = ranks.GetProperty("step").GetProperty("ms_per_step").GetDouble();
            double oneRank = single.GetProperty("step").GetProperty("ms_per_step").GetDouble();
            var result = new Dictionary<string, object>
            {
                ["allreduce"] = ranks.GetProperty("allreduce"),
                ["two_ranks_one_thread_each"] = ranks.GetProperty("step"),
                ["one_rank_two_threads"] = single.GetProperty("step"),
                // Both configurations train the same global batch (8 × 64 tokens) on the same two cores.
                ["scaling_efficiency"] = Math.Round(oneRank / twoRanks, 3),
                ["machine_cores"] = Environment.ProcessorCount,
            };
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["allreduce"] = result }));
            return 0;
        });
        return command;
    }

    // One rank of `mpirun -np N`: times the all-reduce, then the data-parallel step; rank 0 prints the JSON.
    private static void Ranks(int timedSteps, int timedRepeats)
    {
        using var communicator = Communicator.Mpi();
        var allReduce = TimeAllReduce(communicator, timedRepeats);
        var step = TimeSteps(communicator, timedSteps);
        if (communicator.Rank == 0)
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["allreduce"] = allReduce, ["step"] = step }));
    }

    private static Dictionary<string, object> TimeAllReduce(Communicator communicator, int repeats)
    {
        int count = GptModelParameterCount();
        using var gradients = Device.Cpu.Allocate<float>(count);
        var all = gradients.Slice(0, count);
        var times = new double[repeats];
        for (int i = -1; i < repeats; i++)
        {
            Device.Cpu.Fill(all, communicator.Rank + 1, count);
            communicator.Barrier();
            long start = Stopwatch.GetTimestamp();
            communicator.AllReduceSum(all);
            if (i >= 0) times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        // A sum that is not the sum would make the figure meaningless: every element must be 1 + 2 + … + n.
        var probe = new float[1];
        float expected = communicator.Size * (communicator.Size + 1) / 2f;
        foreach (int at in (int[])[0, count / 2, count - 1])
        {
            Device.Cpu.Download(gradients.Slice(at, 1), probe);
            if (probe[0] != expected) throw new InvalidOperationException($"the all-reduce returned {probe[0]} at element {at}, not {expected}.");
        }

        Array.Sort(times);
        double seconds = times[repeats / 2], bytes = (double)count * sizeof(float), n = communicator.Size;
        double algorithm = bytes / seconds / 1e9;
        return new Dictionary<string, object>
        {
            ["ranks"] = communicator.Size,
            ["transport"] = communicator.Name,
            ["elements"] = count,
            ["bytes"] = (long)bytes,
            ["bucket_bytes"] = communicator.Options.BucketBytes,
            ["ms"] = Math.Round(seconds * 1000, 1),
            ["ms_min"] = Math.Round(times[0] * 1000, 1),
            ["algbw_gb_per_s"] = Math.Round(algorithm, 2),
            ["busbw_gb_per_s"] = Math.Round(algorithm * 2 * (n - 1) / n, 2),
        };
    }

    // The median time of a GPT-2 124M training step on random tokens: data-parallel with B=4 per rank over the
    // communicator, or alone with B=4·2 when it is null (the same global batch).
    private static Dictionary<string, object> TimeSteps(Communicator? communicator, int timedSteps)
    {
        var config = GptConfig.Gpt2Small;
        int ranks = communicator?.Size ?? 1, batch = communicator is null ? RowsPerRank * 2 : RowsPerRank;
        var random = new Random(1);
        var tokens = new int[1 << 20];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(config.VocabularySize);
        using var model = new GptModel(config, Device.Cpu, seed: 1);
        using var data = TokenDataset.FromTokens(tokens);
        var options = new TrainingOptions { BatchSize = batch, SequenceLength = SequenceLength, MaxSteps = 1_000_000, EvalInterval = 0 };
        using var trainer = new Trainer(model, data, null, options, communicator);
        trainer.TrainStep();
        var times = new double[timedSteps];
        for (int i = 0; i < timedSteps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            trainer.TrainStep();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        double median = times[timedSteps / 2];
        return new Dictionary<string, object>
        {
            ["model"] = BenchFigures.Model(model),
            ["ranks"] = ranks,
            ["threads_per_rank"] = CpuParallel.ThreadCount,
            ["batch_per_rank"] = batch,
            ["seq_len"] = SequenceLength,
            ["ms_per_step"] = Math.Round(median, 1),
            ["ms_per_step_min"] = Math.Round(times[0], 1),
            ["tokens_per_s"] = Math.Round(batch * ranks * SequenceLength / (median / 1000), 1),
        };
    }

    private static int GptModelParameterCount()
    {
        // The gradients the trainer all-reduces for a full GPT-2 124M run: one float per parameter.
        using var model = new GptModel(GptConfig.Gpt2Small, Device.Cpu, seed: 1);
        return (int)model.ParameterCount;
    }
}
