using Gpt.Kernels.Devices;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training.Distributed;

/// <summary>The single-process communicator, and the errors of MPI and NCCL when their libraries are not installed (the
/// multi-rank behaviour runs under mpirun in Gpt.Cli.Tests' DistributedTrainingTests).</summary>
public sealed class CommunicatorTests
{
    [Fact]
    public void ASingleProcessIsRankZeroOfOneAndItsCollectivesChangeNothing()
    {
        using var communicator = Communicator.SingleProcess();
        Assert.Equal((0, 1), (communicator.Rank, communicator.Size));
        using var buffer = Device.Cpu.Allocate<float>(3);
        Device.Cpu.Upload<float>([1f, 2f, 3f], buffer.Slice(0, 3));
        communicator.AllReduceSum(buffer.Slice(0, 3));
        communicator.Broadcast(buffer.Slice(0, 3));
        var host = new float[3];
        Device.Cpu.Download(buffer.Slice(0, 3), host);
        Assert.Equal([1f, 2f, 3f], host);
        Span<double> sum = [2.5];
        communicator.AllReduceSum(sum);
        Assert.Equal(2.5, sum[0]);
        communicator.Barrier();
        Assert.Throws<ArgumentOutOfRangeException>(() => communicator.Broadcast(buffer.Slice(0, 3), root: 1));
    }

    [Fact]
    public void AskingForMpiWithoutTheLibraryNamesItAndSaysWhatToInstall()
    {
        var error = Assert.Throws<NotSupportedException>(() => Communicator.Mpi(new CommunicatorOptions { MpiLibrary = "libmpi-not-installed.so.40" }));
        Assert.Contains("libmpi-not-installed.so.40", error.Message);
        Assert.Contains("apt-get install openmpi-bin libopenmpi-dev", error.Message);
    }

    [Fact]
    public void AskingForNcclWithoutTheLibraryNamesItAndSaysWhatToInstall()
    {
        var error = Assert.Throws<NotSupportedException>(() => Communicator.Nccl(Device.Cpu, new CommunicatorOptions { NcclLibrary = "libnccl-not-installed.so.2" }));
        Assert.Contains("libnccl-not-installed.so.2", error.Message);
        Assert.Contains("libnccl2", error.Message);
    }

    [Fact]
    public void InvalidOptionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new CommunicatorOptions { Timeout = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentException>(() => new CommunicatorOptions { BucketBytes = 16 }.Validate());
    }

    [Fact]
    public void ATimeoutNamesTheOperationAndTheMissingRank()
    {
        var error = new CollectiveTimeoutException("all-reduce", 0, TimeSpan.FromSeconds(5), [1]);
        Assert.Contains("rank 0: all-reduce timed out after 5 s; rank 1 did not arrive", error.Message);
    }
}
