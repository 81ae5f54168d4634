// The version of the atlas format (docs/atlas-format.md) this build reads and writes. A reader accepts every version
// up to its own and refuses a newer one with a message that says so; the manifest records "format_version".
//   1  manifest without format_version; method results as flat JSON objects
//   2  format_version and model.config in the manifest; method results as {format_version, provenance, layer,
//      neuron, result} records written and read by one System.Text.Json source-generated type per method

using System.Reflection;
using System.Text.Json.Nodes;

namespace Unravel.Atlas;

/// <summary>Name and version of the atlas format.</summary>
public static class AtlasFormat
{
    /// <summary>The "format" value's prefix in manifest.json.</summary>
    public const string Name = "unravel-atlas";

    /// <summary>The newest format version this build reads, and the one it writes.</summary>
    public const int Version = 2;

    /// <summary>This build's version, recorded in every file it writes.</summary>
    public static string ToolVersion { get; } =
        typeof(AtlasFormat).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The format version of a manifest: "format_version", else the number after "unravel-atlas/", else 1.</summary>
    /// <exception cref="AtlasFormatException">format_version is not a positive integer.</exception>
    public static int VersionOf(JsonObject manifest, string file)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest["format_version"] is JsonNode v)
            return v is JsonValue value && value.TryGetValue(out int n) && n >= 1 ? n
                : throw new AtlasFormatException(file, $"format_version {v.ToJsonString()} is not a positive integer.");
        string? format = manifest["format"] is JsonValue f && f.TryGetValue(out string? s) ? s : null;
        return format is not null && format.StartsWith(Name + "/", StringComparison.Ordinal)
            && int.TryParse(format.AsSpan(Name.Length + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int m) ? m : 1;
    }
}
