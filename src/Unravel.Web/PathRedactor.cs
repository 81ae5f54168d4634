// Keeps local absolute paths out of everything the explorer sends: the atlas's own files become atlas-relative
// (`methods/concepts/layer3/neuron_9.json`), the atlas folder its name, and any other absolute path (the model and
// data files in the manifest's command and sources, a path in an error message) its file name. Known paths are
// replaced first; a pattern then catches the rest outside <script>/<style> blocks and data: URIs.

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Unravel.Atlas;

namespace Unravel.Web;

/// <summary>Replaces local absolute paths in served text.</summary>
internal sealed partial class PathRedactor
{
    private readonly (string From, string To)[] _known;

    /// <summary>A redactor for pages and messages about <paramref name="atlas"/>.</summary>
    public PathRedactor(AtlasReader atlas)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(atlas.Root));
        string name = Path.GetFileName(root);
        var known = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [root + Path.DirectorySeparatorChar] = "",
            [root] = name.Length > 0 ? name : "atlas",
        };
        foreach (string value in Strings(atlas.Manifest))
            foreach (Match m in AbsolutePath().Matches(value))
                if (!m.Value.StartsWith(root, StringComparison.Ordinal))
                    known.TryAdd(m.Value, NameOf(m.Value));
        _known = [.. known.OrderByDescending(k => k.Key.Length).Select(k => (k.Key, k.Value))];
    }

    /// <summary><paramref name="text"/> with every local absolute path replaced.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach ((string from, string to) in _known)
            if (text.Contains(from, StringComparison.Ordinal)) text = text.Replace(from, to, StringComparison.Ordinal);
        return KeepOrPath().Replace(text, m => m.Groups["path"].Success ? NameOf(m.Value) : m.Value);
    }

    private static string NameOf(string path)
    {
        string name = Path.GetFileName(path.TrimEnd('/'));
        return name.Length > 0 ? name : "…";
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue(out string? s) => [s],
        _ => [],
    };

    // An absolute path of two or more segments, starting where a word cannot continue (so `1/255` and `</p>` are not
    // paths); a segment ends at white space, a quote, markup or an HTML entity.
    private const string PathPattern = @"(?<=^|[\s""'>(=\[,;])/[^\s/""'<>&;]+(?:/[^\s/""'<>&;]+)+/?";

    [GeneratedRegex(PathPattern)]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"(?<keep><script\b.*?</script>|<style\b.*?</style>|data:[^""'\s)]*)|(?<path>" + PathPattern + ")", RegexOptions.Singleline)]
    private static partial Regex KeepOrPath();
}
