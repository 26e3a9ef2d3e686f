using System.Runtime.InteropServices;

namespace Gpt.Sdk.Training;

/// <summary>
/// Open MPI's C API, bound at run time: the library is opened only when MPI is asked for, and its handles
/// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are the addresses of exported globals (<c>ompi_mpi_comm_world</c>, …), as
/// Open MPI's mpi.h defines them. Other MPI implementations (MPICH's integer handles) are not supported.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>MPI_THREAD_SERIALIZED: calls may come from any thread, one at a time (the trainer runs on the thread pool).</summary>
    public const int ThreadSerialized = 2;

    /// <summary>MPI_IN_PLACE in Open MPI.</summary>
    public static readonly nint InPlace = 1;

    private const int RtldNow = 2, RtldGlobal = 0x100;

    private MpiLibrary(string file, nint handle)
    {
        File = file;
        nint Export(string name)
        {
            if (!NativeLibrary.TryGetExport(handle, name, out nint address))
                throw new NotSupportedException($"{file} lacks '{name}': it is not Open MPI's libmpi (Gpt.Sdk binds Open MPI's ABI). " + InstallHint);
            return address;
        }

        CommWorld = Export("ompi_mpi_comm_world");
        Float = Export("ompi_mpi_float");
        Double = Export("ompi_mpi_double");
        Byte = Export("ompi_mpi_byte");
        Long = Export("ompi_mpi_long");
        Sum = Export("ompi_mpi_op_sum");
        InitThread = (delegate* unmanaged<nint, nint, int, int*, int>)Export("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        Iallreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int>)Export("MPI_Iallreduce");
        Ibcast = (delegate* unmanaged<nint, int, nint, int, nint, nint*, int>)Export("MPI_Ibcast");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Export("MPI_Ibarrier");
        Test = (delegate* unmanaged<nint*, int*, nint, int>)Export("MPI_Test");
        Isend = (delegate* unmanaged<nint, int, nint, int, int, nint, nint*, int>)Export("MPI_Isend");
        Iprobe = (delegate* unmanaged<int, int, nint, int*, nint, int>)Export("MPI_Iprobe");
        Recv = (delegate* unmanaged<nint, int, nint, int, int, nint, nint, int>)Export("MPI_Recv");
        RequestFree = (delegate* unmanaged<nint*, int>)Export("MPI_Request_free");
        AbortJob = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        GetLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_library_version");
    }

    /// <summary>Where to get Open MPI.</summary>
    public const string InstallHint =
        "Install Open MPI (Debian/Ubuntu: `apt-get install openmpi-bin libopenmpi-dev`), launch with `mpirun -np N gpt …`, " +
        "or set " + CommunicatorOptions.MpiLibraryVariable + " to the path of libmpi.so.";

    public string File { get; }

    public nint CommWorld { get; }

    public nint Float { get; }

    public nint Double { get; }

    public nint Byte { get; }

    public nint Long { get; }

    public nint Sum { get; }

    public delegate* unmanaged<nint, nint, int, int*, int> InitThread { get; }

    public delegate* unmanaged<int*, int> Initialized { get; }

    public delegate* unmanaged<int*, int> Finalized { get; }

    public delegate* unmanaged<int> Finalize { get; }

    public delegate* unmanaged<nint, int*, int> CommRank { get; }

    public delegate* unmanaged<nint, int*, int> CommSize { get; }

    /// <summary>MPI_Iallreduce(sendbuf, recvbuf, count, datatype, op, comm, request).</summary>
    public delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int> Iallreduce { get; }

    /// <summary>MPI_Ibcast(buffer, count, datatype, root, comm, request).</summary>
    public delegate* unmanaged<nint, int, nint, int, nint, nint*, int> Ibcast { get; }

    public delegate* unmanaged<nint, nint*, int> Ibarrier { get; }

    /// <summary>MPI_Test(request, flag, status).</summary>
    public delegate* unmanaged<nint*, int*, nint, int> Test { get; }

    /// <summary>MPI_Isend(buffer, count, datatype, dest, tag, comm, request).</summary>
    public delegate* unmanaged<nint, int, nint, int, int, nint, nint*, int> Isend { get; }

    /// <summary>MPI_Iprobe(source, tag, comm, flag, status).</summary>
    public delegate* unmanaged<int, int, nint, int*, nint, int> Iprobe { get; }

    /// <summary>MPI_Recv(buffer, count, datatype, source, tag, comm, status).</summary>
    public delegate* unmanaged<nint, int, nint, int, int, nint, nint, int> Recv { get; }

    public delegate* unmanaged<nint*, int> RequestFree { get; }

    public delegate* unmanaged<nint, int, int> AbortJob { get; }

    public delegate* unmanaged<byte*, int*, int> GetLibraryVersion { get; }

    /// <summary>Opens libmpi: <paramref name="configured"/>, else <see cref="CommunicatorOptions.MpiLibraryVariable"/>, else
    /// the default names; throws <see cref="NotSupportedException"/> naming what was tried and what to install.</summary>
    /// <param name="configured">A library name or path, or null.</param>
    public static MpiLibrary Load(string? configured)
    {
        string? chosen = configured ?? Environment.GetEnvironmentVariable(CommunicatorOptions.MpiLibraryVariable);
        string[] candidates = chosen is { Length: > 0 } ? [chosen] : ["libmpi.so.40", "libmpi.so"];
        foreach (string name in candidates)
        {
            // Open MPI opens its own plugins, which look for libmpi's symbols in the global namespace: the library must be
            // opened RTLD_GLOBAL (NativeLibrary.Load opens it RTLD_LOCAL), as mpi4py does.
            nint handle = OpenGlobal(name);
            if (handle != 0) return new MpiLibrary(name, handle);
        }

        throw new NotSupportedException($"the MPI library could not be loaded (tried {string.Join(", ", candidates)}). {InstallHint}");
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> when an MPI call did not return MPI_SUCCESS.</summary>
    /// <param name="code">The call's return value.</param>
    /// <param name="call">The call's name.</param>
    public static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error {code}.");
    }

    private static nint OpenGlobal(string name)
    {
        if (!OperatingSystem.IsLinux())
            return NativeLibrary.TryLoad(name, out nint loaded) ? loaded : 0;
        nint dl = NativeLibrary.TryLoad("libc.so.6", out nint libc) && NativeLibrary.TryGetExport(libc, "dlopen", out nint f) ? f
            : NativeLibrary.TryLoad("libdl.so.2", out nint libdl) && NativeLibrary.TryGetExport(libdl, "dlopen", out nint g) ? g : 0;
        if (dl == 0) return NativeLibrary.TryLoad(name, out nint loaded) ? loaded : 0;
        nint path = Marshal.StringToCoTaskMemUTF8(name);
        try
        {
            return ((delegate* unmanaged<nint, int, nint>)dl)(path, RtldNow | RtldGlobal);
        }
        finally
        {
            Marshal.FreeCoTaskMem(path);
        }
    }
}
