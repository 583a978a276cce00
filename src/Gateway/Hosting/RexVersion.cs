using System.Reflection;

namespace Rex.Gateway.Hosting;

/// <summary>The Rex version this gateway was built as: Directory.Build.props' Version, which every Rex assembly carries.</summary>
public static class RexVersion
{
    public static string Current { get; } =
        typeof(RexVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
