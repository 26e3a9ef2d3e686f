using Gpt.Kernels.Devices.Cuda;
using Gpt.Kernels.Devices.OpenCL;

namespace Gpt.Kernels.Devices;

/// <summary>
/// The process-wide devices <see cref="Device.Get(DeviceKind, out string)"/> hands out: each opened once, on
/// first request, and kept for the life of the process. An explicit request for an absent device throws;
/// only <see cref="DeviceKind.Auto"/> falls back, and its reason says what it skipped and why.
/// </summary>
internal static class DeviceSelection
{
    private static readonly Lock Gate = new();
    private static CudaDevice? _cuda;
    private static OpenCLDevice? _openCL;
    private static Device? _auto;
    private static string _autoReason = "";

    public static Device Get(DeviceKind kind, out string reason)
    {
        switch (kind)
        {
            case DeviceKind.Cpu:
                reason = $"{Device.Cpu.Name}: the CPU was asked for.";
                return Device.Cpu;
            case DeviceKind.Cuda:
                Device cuda = Cuda();
                reason = $"{cuda.Name}: CUDA was asked for.";
                return cuda;
            case DeviceKind.OpenCL:
                Device openCL = OpenCL();
                reason = $"{openCL.Name}: OpenCL was asked for.";
                return openCL;
            case DeviceKind.Auto:
                lock (Gate)
                {
                    _auto ??= ChooseAuto(out _autoReason);
                    reason = _autoReason;
                    return _auto;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a DeviceKind.");
        }
    }

    private static CudaDevice Cuda()
    {
        lock (Gate)
        {
            if (_cuda is not null) return _cuda;
            if (!CudaDevice.IsAvailable(out string reason))
                throw new NotSupportedException($"The CUDA device is not available: {reason}");
            _cuda = CudaDevice.Open();
            _cuda.IsShared = true;
            return _cuda;
        }
    }

    // The first GPU, else (asked for explicitly) the first device of any type, e.g. POCL on the CPU.
    private static OpenCLDevice OpenCL(IReadOnlyList<OpenCLDeviceInfo>? devices = null)
    {
        lock (Gate)
        {
            if (_openCL is not null) return _openCL;
            devices ??= OpenCLDevice.Discover();
            if (devices.Count == 0)
            {
                OpenCLDevice.IsAvailable(out string reason);
                throw new NotSupportedException($"The OpenCL device is not available: {reason}");
            }
            _openCL = OpenCLDevice.Open(devices.FirstOrDefault(d => d.IsGpu) ?? devices[0]);
            _openCL.IsShared = true;
            return _openCL;
        }
    }

    private static Device ChooseAuto(out string reason)
    {
        var skipped = new List<string>();
        if (CudaDevice.IsAvailable(out string why))
        {
            try
            {
                Device cuda = Cuda();
                reason = $"{cuda.Name}: the first CUDA GPU.";
                return cuda;
            }
            catch (Exception e) when (e is CudaException or NotSupportedException)
            {
                why = e.Message;
            }
        }
        skipped.Add($"CUDA: {why}");

        try
        {
            IReadOnlyList<OpenCLDeviceInfo> devices = OpenCLDevice.Discover();
            if (devices.Any(d => d.IsGpu))
            {
                Device gpu = OpenCL(devices);
                reason = $"{gpu.Name}: the first OpenCL GPU; skipped {string.Join("; ", skipped)}";
                return gpu;
            }
            skipped.Add(devices.Count == 0
                ? "OpenCL: no device"
                : $"OpenCL: no GPU (not using {string.Join(", ", devices.Select(d => d.Name))}: CPU OpenCL devices are left to the CPU back end)");
        }
        catch (Exception e) when (e is OpenCLException or NotSupportedException)
        {
            skipped.Add($"OpenCL: {e.Message}");
        }
        reason = $"{Device.Cpu.Name}: no GPU found; skipped {string.Join("; ", skipped)}";
        return Device.Cpu;
    }
}
