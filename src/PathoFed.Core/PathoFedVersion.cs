using System.Reflection;

namespace PathoFed;

/// <summary>The version stamped into every output file, so results can be traced to the code that made them.</summary>
public static class PathoFedVersion
{
    public static string Current { get; } =
        typeof(PathoFedVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
