using System.Collections;
using Microsoft.Extensions.Configuration;

namespace Rex.Silo.Hosting;

/// <summary>
/// Where Rex processes read settings from, later sources winning: appsettings.json's `Rex` section, environment
/// variables `REX_Name` (or `REX_Section__Name`) mapped to `Rex:Name`, and command-line `--Rex:Name=value`.
/// </summary>
public static class RexConfiguration
{
    public const string EnvironmentPrefix = "REX_";

    public static void AddRexSources(this IConfigurationBuilder configuration, string[] args)
    {
        var variables = new Dictionary<string, string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && name.Length > EnvironmentPrefix.Length)
                variables[$"{RexOptions.Section}:{name[EnvironmentPrefix.Length..].Replace("__", ":")}"] = (string?)variable.Value;
        }
        configuration.AddInMemoryCollection(variables);
        configuration.AddCommandLine(args);
    }
}
