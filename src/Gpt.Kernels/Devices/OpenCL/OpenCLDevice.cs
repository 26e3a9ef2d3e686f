using System.Text;
using Gpt.Kernels.Compute;
using static Gpt.Kernels.Devices.OpenCL.OpenCLNative;

namespace Gpt.Kernels.Devices.OpenCL;

/// <summary>
/// An OpenCL device: one context and one in-order command queue, so work runs in the order it is queued.
/// Kernels are compiled on first launch (through the on-disk <see cref="KernelCache"/>) and kept per
/// descriptor. Each buffer argument reaches the kernel as three parameters: the <c>cl_mem</c>, the slice's
/// offset in elements (64-bit) and its length (32-bit), so slices need no sub-buffers or alignment.
/// </summary>
public sealed unsafe class OpenCLDevice : KernelDevice
{
    /// <summary>The build options every program gets: the generated sources are OpenCL C 1.2.</summary>
    public const string DefaultBuildOptions = "-cl-std=CL1.2";

    private readonly Lock _gate = new();
    private readonly Dictionary<KernelDescriptor, nint> _kernels = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, nint> _programs = [];
    private readonly OpenCLCompiler _compiler;
    private nint _context, _queue;

    private OpenCLDevice(OpenCLDeviceInfo info, KernelCache cache, string buildOptions)
    {
        Info = info;
        Cache = cache;
        BuildOptions = buildOptions;
        nint id = info.DeviceId;
        int status;
        _context = clCreateContext(null, 1, &id, 0, 0, &status);
        OpenCLException.Check(status, $"clCreateContext ({info})");
        _queue = clCreateCommandQueue(_context, id, 0, &status);
        if (status != Success)
        {
            clReleaseContext(_context);
            throw new OpenCLException(status, $"clCreateCommandQueue ({info})");
        }
        _compiler = new OpenCLCompiler(_context, info, cache);
    }

    /// <summary>Every OpenCL device on this machine, in platform then device order (empty when no driver is
    /// registered). Throws <see cref="NotSupportedException"/> when the OpenCL loader is not installed.</summary>
    public static IReadOnlyList<OpenCLDeviceInfo> Discover() => OpenCLDiscovery.Devices();

    /// <summary>True when at least one OpenCL device (of any type) is present; otherwise
    /// <paramref name="reason"/> says what is missing.</summary>
    /// <param name="reason">Empty when available.</param>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            if (Discover().Count > 0)
            {
                reason = "";
                return true;
            }
            reason = "the OpenCL loader found no device: no driver is registered in /etc/OpenCL/vendors " +
                     "(on Debian/Ubuntu `apt-get install pocl-opencl-icd` adds a CPU one).";
        }
        catch (Exception e) when (e is NotSupportedException or OpenCLException)
        {
            reason = e.Message;
        }
        return false;
    }

    /// <summary>Opens an OpenCL device.</summary>
    /// <param name="device">The device, from <see cref="Discover"/>; null takes the first GPU, else the first device of any type.</param>
    /// <param name="cache">Where compiled programs are kept; null uses <see cref="KernelCache.Default"/>.</param>
    /// <param name="buildOptions">Options for the OpenCL compiler.</param>
    public static OpenCLDevice Open(OpenCLDeviceInfo? device = null, KernelCache? cache = null, string buildOptions = DefaultBuildOptions)
    {
        ArgumentNullException.ThrowIfNull(buildOptions);
        if (device is null)
        {
            IReadOnlyList<OpenCLDeviceInfo> devices = Discover();
            if (devices.Count == 0)
            {
                IsAvailable(out string reason);
                throw new NotSupportedException($"No OpenCL device is available: {reason}");
            }
            device = devices.FirstOrDefault(d => d.IsGpu) ?? devices[0];
        }
        return new OpenCLDevice(device, cache ?? KernelCache.Default, buildOptions);
    }

    /// <summary>The driver's description of the device.</summary>
    public OpenCLDeviceInfo Info { get; }

    /// <summary>Where compiled programs are kept.</summary>
    public KernelCache Cache { get; }

    /// <summary>The options every program is built with.</summary>
    public string BuildOptions { get; }

    /// <inheritdoc />
    public override DeviceKind Kind => DeviceKind.OpenCL;

    /// <inheritdoc />
    public override int MaxGroupSize => Info.MaxGroupSize;

    /// <inheritdoc />
    public override string Name => $"{Info.Name} (OpenCL, {Info.Platform})";

    /// <inheritdoc />
    public override DeviceBuffer<T> Allocate<T>(long length)
    {
        ThrowIfDisposed();
        return new OpenCLBuffer<T>(this, _context, length);
    }

    /// <inheritdoc />
    public override void Upload<T>(ReadOnlySpan<T> source, Slice<T> destination)
    {
        if (!ValidateCopy(destination, source.Length, nameof(source))) return;
        int status;
        fixed (T* s = source)
            status = clEnqueueWriteBuffer(_queue, (nint)HandleOf(destination), 1, (nuint)destination.Offset * (nuint)sizeof(T),
                (nuint)source.Length * (nuint)sizeof(T), s, 0, null, null);
        // The message is built only on failure: copies in a training step must not allocate.
        if (status != Success) throw new OpenCLException(status, $"clEnqueueWriteBuffer ({source.Length} elements)");
    }

    /// <inheritdoc />
    public override void Download<T>(Slice<T> source, Span<T> destination)
    {
        if (!ValidateCopy(source, destination.Length, nameof(destination))) return;
        int status;
        fixed (T* d = destination)
            status = clEnqueueReadBuffer(_queue, (nint)HandleOf(source), 1, (nuint)source.Offset * (nuint)sizeof(T),
                (nuint)destination.Length * (nuint)sizeof(T), d, 0, null, null);
        if (status != Success) throw new OpenCLException(status, $"clEnqueueReadBuffer ({destination.Length} elements)");
    }

    /// <inheritdoc />
    public override void Synchronize()
    {
        ThrowIfDisposed();
        OpenCLException.Check(clFinish(_queue), "clFinish");
    }

    /// <inheritdoc />
    public override void Prepare(KernelDescriptor kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ThrowIfDisposed();
        lock (_gate) KernelOf(kernel);
    }

    /// <inheritdoc />
    public override void Launch(KernelDescriptor kernel, Dim3 groups, Dim3 groupSize, ReadOnlySpan<KernelArgument> arguments)
    {
        ValidateLaunch(kernel, groups, groupSize, arguments);
        if (groups.Size == 0) return;
        nuint* global = stackalloc nuint[] { (nuint)groups.X * (nuint)groupSize.X, (nuint)groups.Y * (nuint)groupSize.Y, (nuint)groups.Z * (nuint)groupSize.Z };
        nuint* local = stackalloc nuint[] { (nuint)groupSize.X, (nuint)groupSize.Y, (nuint)groupSize.Z };
        // Arguments live on the kernel object, so setting them and queueing must not interleave between threads.
        lock (_gate)
        {
            nint handle = KernelOf(kernel);
            uint index = 0;
            for (int i = 0; i < arguments.Length; i++)
            {
                ref readonly KernelArgument argument = ref arguments[i];
                if (argument.Kind == KernelArgumentKind.Buffer)
                {
                    nint memory = (nint)HandleOf(argument);
                    long offset = argument.Offset;
                    int length = argument.Length;
                    SetArgument(kernel, handle, index++, (nuint)sizeof(nint), &memory);
                    SetArgument(kernel, handle, index++, sizeof(long), &offset);
                    SetArgument(kernel, handle, index++, sizeof(int), &length);
                }
                else
                {
                    ulong bits = argument.ScalarBits;
                    SetArgument(kernel, handle, index++, (nuint)argument.Size, &bits);
                }
            }
            int status = clEnqueueNDRangeKernel(_queue, handle, 3, null, global, local, 0, null, null);
            if (status != Success)
                throw new OpenCLException(status, $"launching {kernel.Name} ({groups} groups of {groupSize} threads) on {Name}");
        }
    }

    private static void SetArgument(KernelDescriptor kernel, nint handle, uint index, nuint size, void* value)
    {
        int status = clSetKernelArg(handle, index, size, value);
        if (status != Success)
            throw new OpenCLException(status, $"setting C parameter {index} of {kernel.Name} ({size} bytes): the generated source and its descriptor disagree");
    }

    // Kernels are cached per descriptor object (generated descriptors are static), programs per source text.
    private nint KernelOf(KernelDescriptor kernel)
    {
        if (_kernels.TryGetValue(kernel, out nint handle)) return handle;
        if (!_programs.TryGetValue(kernel.OpenCLSource, out nint program))
        {
            program = _compiler.Build(kernel.Name, kernel.OpenCLSource, BuildOptions);
            _programs.Add(kernel.OpenCLSource, program);
        }
        int status;
        byte[] entry = Encoding.UTF8.GetBytes(kernel.EntryPoint + "\0");
        fixed (byte* e = entry) handle = clCreateKernel(program, e, &status);
        OpenCLException.Check(status, $"clCreateKernel ({kernel.EntryPoint} of {kernel.Name})");
        _kernels.Add(kernel, handle);
        return handle;
    }

    /// <inheritdoc />
    private protected override void Release()
    {
        lock (_gate)
        {
            if (_queue != 0) clFinish(_queue);
            foreach (nint kernel in _kernels.Values) clReleaseKernel(kernel);
            foreach (nint program in _programs.Values) clReleaseProgram(program);
            _kernels.Clear();
            _programs.Clear();
            if (_queue != 0) clReleaseCommandQueue(_queue);
            if (_context != 0) clReleaseContext(_context);
            _queue = _context = 0;
        }
    }
}
