using System.Runtime.InteropServices;
using System.Text;
using Gpt.Kernels.Compute;
using static Gpt.Kernels.Devices.Cuda.CudaNative;

namespace Gpt.Kernels.Devices.Cuda;

/// <summary>
/// An NVIDIA GPU through the CUDA driver API: the device's primary context and one stream, so work runs in
/// the order it is queued. Kernels are compiled by NVRTC to PTX on first launch (through the on-disk
/// <see cref="KernelCache"/>) and kept per descriptor. Each buffer argument reaches the kernel as three
/// parameters: the base device pointer, the slice's offset in elements (64-bit) and its length (32-bit).
/// </summary>
public sealed unsafe class CudaDevice : KernelDevice
{
    private const int MaxKernelParameters = 256;

    private readonly Lock _gate = new();
    private readonly Dictionary<KernelDescriptor, nint> _functions = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, nint> _modules = [];
    private readonly NvrtcCompiler _compiler;
    private readonly int _device;
    private nint _context, _stream;

    private CudaDevice(int ordinal, KernelCache cache)
    {
        int device, major, minor, multiprocessors, maxThreads, driverVersion;
        nuint memory;
        CudaException.Check(cuDeviceGet(&device, ordinal), $"cuDeviceGet({ordinal})");
        CudaException.Check(cuDeviceGetAttribute(&major, AttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute");
        CudaException.Check(cuDeviceGetAttribute(&minor, AttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute");
        CudaException.Check(cuDeviceGetAttribute(&multiprocessors, AttributeMultiprocessorCount, device), "cuDeviceGetAttribute");
        CudaException.Check(cuDeviceGetAttribute(&maxThreads, AttributeMaxThreadsPerBlock, device), "cuDeviceGetAttribute");
        CudaException.Check(cuDeviceTotalMem_v2(&memory, device), "cuDeviceTotalMem");
        CudaException.Check(cuDriverGetVersion(&driverVersion), "cuDriverGetVersion");
        byte* name = stackalloc byte[256];
        CudaException.Check(cuDeviceGetName(name, 256, device), "cuDeviceGetName");

        _device = device;
        Ordinal = ordinal;
        DeviceName = (Marshal.PtrToStringUTF8((nint)name) ?? "").Trim();
        ComputeCapability = new Version(major, minor);
        MultiprocessorCount = multiprocessors;
        MaxGroupSize = maxThreads;
        TotalMemoryBytes = (long)memory;
        DriverVersion = driverVersion;
        Cache = cache;
        _compiler = new NvrtcCompiler(DeviceName, major, minor, driverVersion, cache);

        nint context, stream;
        CudaException.Check(cuDevicePrimaryCtxRetain(&context, device), $"cuDevicePrimaryCtxRetain ({DeviceName})");
        _context = context;
        MakeCurrent();
        int status = cuStreamCreate(&stream, 0);
        if (status != Success)
        {
            cuDevicePrimaryCtxRelease_v2(device);
            throw CudaException.Driver(status, "cuStreamCreate");
        }
        _stream = stream;
    }

    /// <summary>Number of CUDA devices; throws <see cref="NotSupportedException"/> when the driver is not installed.</summary>
    public static int DeviceCount()
    {
        NativeLibraries.Load(NativeLibraries.Cuda);
        int status = cuInit(0);
        if (status == ErrorNoDevice) return 0;
        CudaException.Check(status, "cuInit");
        int count;
        CudaException.Check(cuDeviceGetCount(&count), "cuDeviceGetCount");
        return count;
    }

    /// <summary>True when a CUDA device and NVRTC are present; otherwise <paramref name="reason"/> says what is missing.</summary>
    /// <param name="reason">Empty when available.</param>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            if (DeviceCount() == 0)
                reason = "the CUDA driver is installed but sees no GPU (check CUDA_VISIBLE_DEVICES).";
            else if (!NativeLibraries.TryLoad(NativeLibraries.Nvrtc, out reason))
                reason = "a CUDA GPU is present but " + reason;
            else
                return true;
        }
        catch (Exception e) when (e is NotSupportedException or CudaException)
        {
            reason = e.Message;
        }
        return false;
    }

    /// <summary>Opens a CUDA device.</summary>
    /// <param name="ordinal">Which GPU, from 0 to <see cref="DeviceCount"/> − 1.</param>
    /// <param name="cache">Where compiled PTX is kept; null uses <see cref="KernelCache.Default"/>.</param>
    public static CudaDevice Open(int ordinal = 0, KernelCache? cache = null)
    {
        int count = DeviceCount();
        if (count == 0)
            throw new NotSupportedException("No CUDA device is available: the driver is installed but sees no GPU (check CUDA_VISIBLE_DEVICES).");
        if (ordinal < 0 || ordinal >= count)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"this machine has {count} CUDA device(s).");
        return new CudaDevice(ordinal, cache ?? KernelCache.Default);
    }

    /// <summary>The device's index among the CUDA devices.</summary>
    public int Ordinal { get; }

    /// <summary>The GPU's name.</summary>
    public string DeviceName { get; }

    /// <summary>Compute capability (e.g. 9.0 for an H100).</summary>
    public Version ComputeCapability { get; }

    /// <summary>Streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>Most threads one block (group) may have.</summary>
    public override int MaxGroupSize { get; }

    /// <summary>Global memory in bytes.</summary>
    public long TotalMemoryBytes { get; }

    /// <summary>The CUDA version the driver supports, as 1000·major + 10·minor (12040 for 12.4).</summary>
    public int DriverVersion { get; }

    /// <summary>NVRTC's version, "major.minor".</summary>
    public string NvrtcVersion => _compiler.Version;

    /// <summary>Where compiled PTX is kept.</summary>
    public KernelCache Cache { get; }

    /// <inheritdoc />
    public override DeviceKind Kind => DeviceKind.Cuda;

    /// <inheritdoc />
    public override string Name => $"{DeviceName} (CUDA, sm_{ComputeCapability.Major}{ComputeCapability.Minor})";

    /// <summary>True once the device has released its context (its buffers' memory went with it).</summary>
    internal bool IsReleased => _context == 0;

    /// <summary>Makes the device's context current on the calling thread (CUDA contexts are per thread).</summary>
    internal void MakeCurrent(bool throwOnError = true)
    {
        int status = cuCtxSetCurrent(_context);
        if (throwOnError) CudaException.Check(status, "cuCtxSetCurrent");
    }

    /// <inheritdoc />
    public override DeviceBuffer<T> Allocate<T>(long length)
    {
        ThrowIfDisposed();
        return new CudaBuffer<T>(this, length);
    }

    /// <inheritdoc />
    public override void Upload<T>(ReadOnlySpan<T> source, Slice<T> destination)
    {
        if (!ValidateCopy(destination, source.Length, nameof(source))) return;
        MakeCurrent();
        nuint bytes = (nuint)source.Length * (nuint)sizeof(T);
        int status;
        fixed (T* s = source)
        {
            status = cuMemcpyHtoDAsync_v2(HandleOf(destination) + (ulong)destination.Offset * (ulong)sizeof(T), s, bytes, _stream);
            // The span is only pinned for this call, so the copy must be done before it returns.
            if (status == Success) status = cuStreamSynchronize(_stream);
        }
        // The message is built only on failure: copies in a training step must not allocate.
        if (status != Success) throw CudaException.Driver(status, $"cuMemcpyHtoDAsync ({bytes} bytes)");
    }

    /// <inheritdoc />
    public override void Download<T>(Slice<T> source, Span<T> destination)
    {
        if (!ValidateCopy(source, destination.Length, nameof(destination))) return;
        MakeCurrent();
        nuint bytes = (nuint)destination.Length * (nuint)sizeof(T);
        int status;
        fixed (T* d = destination)
        {
            status = cuMemcpyDtoHAsync_v2(d, HandleOf(source) + (ulong)source.Offset * (ulong)sizeof(T), bytes, _stream);
            if (status == Success) status = cuStreamSynchronize(_stream);
        }
        if (status != Success) throw CudaException.Driver(status, $"cuMemcpyDtoHAsync ({bytes} bytes)");
    }

    /// <inheritdoc />
    public override void Synchronize()
    {
        ThrowIfDisposed();
        MakeCurrent();
        CudaException.Check(cuStreamSynchronize(_stream), "cuStreamSynchronize");
    }

    /// <inheritdoc />
    public override void Prepare(KernelDescriptor kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ThrowIfDisposed();
        MakeCurrent();
        lock (_gate) FunctionOf(kernel);
    }

    /// <inheritdoc />
    public override void Launch(KernelDescriptor kernel, Dim3 groups, Dim3 groupSize, ReadOnlySpan<KernelArgument> arguments)
    {
        ValidateLaunch(kernel, groups, groupSize, arguments);
        if (groups.Size == 0) return;
        int count = 0;
        foreach (ref readonly KernelArgument argument in arguments)
            count += argument.Kind == KernelArgumentKind.Buffer ? 3 : 1;
        if (count > MaxKernelParameters)
            throw new ArgumentException($"{kernel.Name} has {count} C parameters; at most {MaxKernelParameters} are supported.", nameof(arguments));

        // cuLaunchKernel reads each parameter through a pointer, copying the first sizeof(parameter) bytes:
        // little-endian 64-bit slots serve the 4-byte parameters too.
        ulong* values = stackalloc ulong[count];
        void** pointers = stackalloc void*[count];
        int slot = 0;
        foreach (ref readonly KernelArgument argument in arguments)
        {
            if (argument.Kind == KernelArgumentKind.Buffer)
            {
                values[slot++] = HandleOf(argument);
                values[slot++] = (ulong)argument.Offset;
                values[slot++] = (uint)argument.Length;
            }
            else
            {
                values[slot++] = argument.ScalarBits;
            }
        }
        for (int i = 0; i < count; i++) pointers[i] = &values[i];

        MakeCurrent();
        nint function;
        lock (_gate) function = FunctionOf(kernel);
        int status = cuLaunchKernel(function, (uint)groups.X, (uint)groups.Y, (uint)groups.Z,
            (uint)groupSize.X, (uint)groupSize.Y, (uint)groupSize.Z, 0, _stream, pointers, null);
        if (status != Success)
            throw CudaException.Driver(status, $"launching {kernel.Name} ({groups} groups of {groupSize} threads) on {Name}");
    }

    // Functions are cached per descriptor object (generated descriptors are static), modules per source text.
    private nint FunctionOf(KernelDescriptor kernel)
    {
        if (_functions.TryGetValue(kernel, out nint function)) return function;
        if (!_modules.TryGetValue(kernel.CudaSource, out nint module))
        {
            module = LoadModule(kernel);
            _modules.Add(kernel.CudaSource, module);
        }
        byte[] entry = Encoding.UTF8.GetBytes(kernel.EntryPoint + "\0");
        fixed (byte* e = entry)
            CudaException.Check(cuModuleGetFunction(&function, module, e), $"cuModuleGetFunction ({kernel.EntryPoint} of {kernel.Name})");
        _functions.Add(kernel, function);
        return function;
    }

    private nint LoadModule(KernelDescriptor kernel)
    {
        byte[] ptx = _compiler.Compile(kernel.Name, kernel.CudaSource, out bool fromCache);
        int status = TryLoadModule(ptx, out nint module, out string log);
        if (status != Success && fromCache)
        {
            // A cached PTX the driver refuses (truncated file, other driver): compile afresh once.
            ptx = _compiler.Recompile(kernel.Name, kernel.CudaSource);
            status = TryLoadModule(ptx, out module, out log);
        }
        if (status != Success)
            throw CudaException.Driver(status, $"loading the PTX of {kernel.Name} (NVRTC {NvrtcVersion}, compute_{_compiler.Architecture}){(log.Length > 0 ? ": " + log : "")}");
        return module;
    }

    // The driver JIT-compiles PTX to the device's machine code; its error log says what it disliked.
    private static int TryLoadModule(byte[] ptx, out nint module, out string log)
    {
        const int LogSize = 8192;
        byte* buffer = stackalloc byte[LogSize];
        buffer[0] = 0;
        int* options = stackalloc int[] { JitErrorLogBuffer, JitErrorLogBufferSizeBytes };
        void** values = stackalloc void*[] { buffer, (void*)LogSize };
        nint handle;
        int status;
        fixed (byte* image = ptx) status = cuModuleLoadDataEx(&handle, image, 2, options, values);
        module = handle;
        log = (Marshal.PtrToStringUTF8((nint)buffer) ?? "").Trim();
        return status;
    }

    /// <inheritdoc />
    private protected override void Release()
    {
        lock (_gate)
        {
            MakeCurrent(throwOnError: false);
            if (_stream != 0) cuStreamSynchronize(_stream);
            foreach (nint module in _modules.Values) cuModuleUnload(module);
            _modules.Clear();
            _functions.Clear();
            if (_stream != 0) cuStreamDestroy_v2(_stream);
            if (_context != 0) cuDevicePrimaryCtxRelease_v2(_device);
            _stream = _context = 0;
        }
    }
}
