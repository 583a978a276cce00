using System.Runtime.InteropServices;
using TorchSharp;

namespace Rex.Silo.Devices;

/// <summary>
/// Checks at start-up that the CUDA devices a setting names exist. TorchSharp loads its CUDA backend quietly on first
/// use and, when that fails, says only that CUDA did not initialise, later, inside a grain activation that is retried;
/// checking here stops the process at once with the loader's own reason (no libtorch_cuda.so on the library path, a
/// CPU-only libtorch, no driver).
/// </summary>
public static class CudaAvailability
{
    public static void Require(IEnumerable<DeviceSpec> devices, string setting)
    {
        var cuda = devices.Where(d => d.Device.type == DeviceType.CUDA).ToArray();
        if (cuda.Length == 0) return;
        if (!torch.cuda.is_available())
            throw new InvalidOperationException($"{setting} names {cuda[0].Name}, but CUDA is not available to TorchSharp: {LoaderReason()}");
        torch.InitializeDeviceType(DeviceType.CUDA);
        var count = torch.cuda.device_count();
        foreach (var device in cuda)
            if (device.Device.index >= count)
                throw new ArgumentException($"{setting} names {device.Name}, but this machine has {count} CUDA device(s)", setting);
    }

    static string LoaderReason()
    {
        try
        {
            NativeLibrary.Load("libtorch_cuda.so");
            return "libtorch_cuda.so loads, but torch finds no CUDA device (driver, CUDA_VISIBLE_DEVICES)";
        }
        catch (DllNotFoundException e)
        {
            return e.Message;
        }
    }
}
