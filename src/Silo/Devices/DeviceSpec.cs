using static TorchSharp.torch;

namespace Rex.Silo.Devices;

/// <summary>
/// A device named in configuration: `cpu`, `cuda:N`, or a logical CPU device `cpu:N` (several of them give a
/// test machine several executors, as a GPU machine has several GPUs).
/// </summary>
public sealed record DeviceSpec(string Name, Device Device)
{
    /// <summary>Parses a comma-separated list such as "cpu", "cpu:0,cpu:1" or "cuda:0,cuda:1".</summary>
    public static IReadOnlyList<DeviceSpec> ParseList(string devices)
    {
        var names = devices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new ArgumentException("Devices must name at least one device (cpu, cpu:N or cuda:N)", nameof(devices));
        if (names.Distinct().Count() != names.Length) throw new ArgumentException($"Devices lists a device twice: {devices}", nameof(devices));
        return names.Select(Parse).ToArray();
    }

    public static DeviceSpec Parse(string name)
    {
        if (name == "cpu") return new DeviceSpec(name, CPU);
        var colon = name.IndexOf(':');
        if (colon > 0 && int.TryParse(name.AsSpan(colon + 1), out var index) && index >= 0)
        {
            var kind = name[..colon];
            if (kind == "cpu") return new DeviceSpec(name, CPU);
            if (kind == "cuda") return new DeviceSpec(name, new Device(TorchSharp.DeviceType.CUDA, index));
        }
        throw new ArgumentException($"device '{name}' is not cpu, cpu:N or cuda:N", nameof(name));
    }
}
