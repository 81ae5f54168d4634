// Reading a method's JSON side file (a layer's split search, a neuron's feature visualisation index) with the checks
// every atlas file gets: malformed JSON or a missing part is an AtlasFormatException naming the file, and a file from
// a newer atlas format is refused.

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Unravel.Atlas.Methods;

/// <summary>Checked reads of a method's side files.</summary>
internal static class MethodFile
{
    /// <summary>The file at <paramref name="path"/>, or null when it does not exist.</summary>
    /// <param name="path">The file.</param>
    /// <param name="type">Its source-generated type.</param>
    /// <param name="what">What it is, for the message ("a split search").</param>
    /// <param name="rerun">The command that rewrites it, for the hint.</param>
    /// <param name="version">Its format_version, or null when a required part is missing.</param>
    /// <exception cref="AtlasFormatException">Malformed, incomplete or from a newer format.</exception>
    public static T? Read<T>(string path, JsonTypeInfo<T> type, string what, string rerun, Func<T, int?> version) where T : class
    {
        if (!File.Exists(path)) return null;
        T? file;
        try
        {
            using FileStream stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize(stream, type);
        }
        catch (JsonException e)
        {
            throw new AtlasFormatException(path, $"not {what} ({e.Message}).", $"re-run `{rerun}`, or delete the file", e);
        }
        string? missing = file is null ? "$" : RecordNulls.Find(file, type);
        if (missing is not null || version(file!) is not { } v)
            throw new AtlasFormatException(path, $"not {what} (no value at {missing ?? "$"}).", $"re-run `{rerun}`");
        if (v > AtlasFormat.Version)
            throw new AtlasFormatException(path, $"written with format_version {v}; this unravel reads up to {AtlasFormat.Version}.",
                "open the atlas with the newer unravel that wrote it");
        return file;
    }
}
