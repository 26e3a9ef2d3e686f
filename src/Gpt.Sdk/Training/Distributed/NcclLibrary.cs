using System.Runtime.InteropServices;

namespace Gpt.Sdk.Training;

/// <summary>NCCL's C API (and the two CUDA driver calls its timeout needs), bound at run time: libnccl is opened only when
/// NCCL is asked for.</summary>
internal sealed unsafe class NcclLibrary
{
    /// <summary>ncclFloat32.</summary>
    public const int Float32 = 7;

    /// <summary>ncclSum.</summary>
    public const int Sum = 0;

    /// <summary>ncclInProgress: an operation of a non-blocking communicator has not finished.</summary>
    public const int InProgress = 7;

    /// <summary>cudaErrorNotReady / CUDA_ERROR_NOT_READY: the stream still has work queued.</summary>
    public const int NotReady = 600;

    /// <summary>Where to get NCCL.</summary>
    public const string InstallHint =
        "Install NCCL 2 (NVIDIA's `libnccl2` package, or the CUDA repository's `apt-get install libnccl2`) on a machine with " +
        "NVIDIA GPUs, or set " + CommunicatorOptions.NcclLibraryVariable + " to the path of libnccl.so.2.";

    private NcclLibrary(string file, nint nccl, nint cuda)
    {
        File = file;
        nint Export(nint library, string libraryName, string name)
        {
            if (!NativeLibrary.TryGetExport(library, name, out nint address))
                throw new NotSupportedException($"{libraryName} lacks '{name}' (too old?). " + InstallHint);
            return address;
        }

        GetUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)Export(nccl, file, "ncclGetUniqueId");
        CommInitRank = (delegate* unmanaged<nint*, int, NcclUniqueId, int, int>)Export(nccl, file, "ncclCommInitRank");
        AllReduce = (delegate* unmanaged<ulong, ulong, nuint, int, int, nint, nint, int>)Export(nccl, file, "ncclAllReduce");
        Broadcast = (delegate* unmanaged<ulong, ulong, nuint, int, int, nint, nint, int>)Export(nccl, file, "ncclBroadcast");
        CommGetAsyncError = (delegate* unmanaged<nint, int*, int>)Export(nccl, file, "ncclCommGetAsyncError");
        CommAbort = (delegate* unmanaged<nint, int>)Export(nccl, file, "ncclCommAbort");
        CommDestroy = (delegate* unmanaged<nint, int>)Export(nccl, file, "ncclCommDestroy");
        GetErrorString = (delegate* unmanaged<int, byte*>)Export(nccl, file, "ncclGetErrorString");
        GetVersion = (delegate* unmanaged<int*, int>)Export(nccl, file, "ncclGetVersion");
        StreamQuery = (delegate* unmanaged<nint, int>)Export(cuda, "libcuda.so.1", "cuStreamQuery");
    }

    public string File { get; }

    public delegate* unmanaged<NcclUniqueId*, int> GetUniqueId { get; }

    /// <summary>ncclCommInitRank(comm, nranks, id (by value), rank).</summary>
    public delegate* unmanaged<nint*, int, NcclUniqueId, int, int> CommInitRank { get; }

    /// <summary>ncclAllReduce(send, recv, count, datatype, op, comm, stream).</summary>
    public delegate* unmanaged<ulong, ulong, nuint, int, int, nint, nint, int> AllReduce { get; }

    /// <summary>ncclBroadcast(send, recv, count, datatype, root, comm, stream).</summary>
    public delegate* unmanaged<ulong, ulong, nuint, int, int, nint, nint, int> Broadcast { get; }

    public delegate* unmanaged<nint, int*, int> CommGetAsyncError { get; }

    public delegate* unmanaged<nint, int> CommAbort { get; }

    public delegate* unmanaged<nint, int> CommDestroy { get; }

    public delegate* unmanaged<int, byte*> GetErrorString { get; }

    public delegate* unmanaged<int*, int> GetVersion { get; }

    /// <summary>cuStreamQuery(stream): 0 when its work is done, <see cref="NotReady"/> while it runs.</summary>
    public delegate* unmanaged<nint, int> StreamQuery { get; }

    /// <summary>Opens libnccl (and the CUDA driver); throws <see cref="NotSupportedException"/> naming what was tried.</summary>
    /// <param name="configured">A library name or path, or null.</param>
    public static NcclLibrary Load(string? configured)
    {
        string name = configured
            ?? (Environment.GetEnvironmentVariable(CommunicatorOptions.NcclLibraryVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : "libnccl.so.2");
        if (!NativeLibrary.TryLoad(name, out nint nccl))
            throw new NotSupportedException($"the NCCL library could not be loaded (tried {name}). {InstallHint}");
        if (!NativeLibrary.TryLoad("libcuda.so.1", out nint cuda))
            throw new NotSupportedException("NCCL needs the CUDA driver (libcuda.so.1), which could not be loaded; install the NVIDIA driver.");
        return new NcclLibrary(name, nccl, cuda);
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> with NCCL's message when a call did not return ncclSuccess.</summary>
    public void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed: {Marshal.PtrToStringUTF8((nint)GetErrorString(code))} (NCCL error {code}).");
    }
}

/// <summary>ncclUniqueId: 128 opaque bytes rank 0 makes and every rank passes, by value, to ncclCommInitRank.</summary>
[StructLayout(LayoutKind.Sequential, Size = 128)]
internal unsafe struct NcclUniqueId
{
    public fixed byte Bytes[128];
}
