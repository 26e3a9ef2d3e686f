using System.CommandLine;
using Gpt.Kernels.Devices;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>--distributed auto|none|mpi|nccl</c> and <c>--collective-timeout</c>, shared by the training commands. Auto (the
/// default) trains data-parallel over MPI when an MPI launcher started the process (<c>mpirun -np N gpt train …</c>) and
/// alone otherwise, so the same command line works both ways.
/// </summary>
internal static class DistributedOption
{
    /// <summary>A new <c>--distributed</c> option.</summary>
    public static Option<string> Create()
    {
        var option = new Option<string>("--distributed")
        {
            Description = "Data parallelism: auto (MPI when launched by mpirun, else none), none, mpi (CPU or OpenCL ranks over Open MPI), " +
                "or nccl (one CUDA GPU per rank, bootstrapped over MPI). --batch is per rank.",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "none", "mpi", "nccl");
        return option;
    }

    /// <summary>A new <c>--collective-timeout</c> option (seconds).</summary>
    public static Option<double> CreateTimeout() => new("--collective-timeout")
    {
        Description = "Seconds a rank waits for the others at a collective before the job is aborted as broken (a rank died or hangs).",
        DefaultValueFactory = _ => new CommunicatorOptions().Timeout.TotalSeconds,
    };

    /// <summary>Under an MPI launch, gives each rank its share of this machine's cores (GPT_NUM_THREADS, unless set): two
    /// ranks on two cores compute on one thread each instead of four threads fighting over two cores. Must run before the
    /// CPU device computes anything (its thread pool is sized once).</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="option">The option made by <see cref="Create"/>.</param>
    public static void ShareCores(ParseResult parse, Option<string> option)
    {
        bool distributed = parse.GetValue(option) is "mpi" or "nccl" || (parse.GetValue(option) == "auto" && Communicator.IsMpiLaunch);
        if (!distributed || Environment.GetEnvironmentVariable("GPT_NUM_THREADS") is not null) return;
        int threads = Math.Max(1, Environment.ProcessorCount / Communicator.LocalSizeFromEnvironment);
        Environment.SetEnvironmentVariable("GPT_NUM_THREADS", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Opens the communicator the command line asks for (a missing MPI or NCCL library is a
    /// <see cref="NotSupportedException"/> saying what to install); rank 0 announces a multi-rank run on stderr.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="option">The option made by <see cref="Create"/>.</param>
    /// <param name="timeout">The option made by <see cref="CreateTimeout"/>.</param>
    /// <param name="device">This rank's device.</param>
    public static Communicator Open(ParseResult parse, Option<string> option, Option<double> timeout, Device device)
    {
        double seconds = parse.GetValue(timeout);
        if (!(seconds > 0) || double.IsInfinity(seconds))
            throw new ArgumentException($"--collective-timeout is in seconds and must be positive, got {seconds}.");
        var options = new CommunicatorOptions { Timeout = TimeSpan.FromSeconds(seconds) };
        var communicator = parse.GetValue(option) switch
        {
            "mpi" => Communicator.Mpi(options),
            "nccl" => Communicator.Nccl(device, options),
            "auto" when Communicator.IsMpiLaunch => device.Kind == DeviceKind.Cuda ? Communicator.Nccl(device, options) : Communicator.Mpi(options),
            _ => Communicator.SingleProcess(),
        };
        if (communicator.Size > 1 && communicator.Rank == 0)
            Console.Error.WriteLine($"data-parallel: {communicator.Size} ranks over {communicator.Name}, threads per rank: " +
                $"{Environment.GetEnvironmentVariable("GPT_NUM_THREADS") ?? "all cores"}; progress shows rank 0 and global tokens/s");
        return communicator;
    }

    /// <summary>Runs a command's work on every rank; when it fails on one rank of several, prints the error with the rank
    /// and ends the whole job (MPI_Abort), so the other ranks do not wait for this one until their timeout.</summary>
    /// <param name="communicator">The ranks.</param>
    /// <param name="work">The command's work.</param>
    /// <typeparam name="T">What the work returns.</typeparam>
    public static async Task<T> RunOnEveryRank<T>(Communicator communicator, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (communicator.Size > 1 && e is not OperationCanceledException)
        {
            Console.Error.WriteLine(e is CollectiveTimeoutException ? $"error: {e.Message}" : $"error: rank {communicator.Rank}: {e.Message}");
            communicator.Abort(1);
            throw;
        }
    }
}
