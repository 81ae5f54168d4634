// Locates the shipped assets/ folder (tokenizer files, class names, default models) from a source checkout or an
// installed tool: UNRAVEL_ASSETS, then the folders above the executable, then those above the working directory.

namespace Unravel.Cli;

internal static class Assets
{
    /// <summary>The assets folder.</summary>
    /// <exception cref="UnravelUserException">No assets folder was found.</exception>
    public static string Root => s_root.Value;

    private static readonly Lazy<string> s_root = new(Find);

    /// <summary>A path inside the assets folder.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("UNRAVEL_ASSETS") is { Length: > 0 } env)
            return Directory.Exists(env) ? env
                : throw new UnravelUserException($"UNRAVEL_ASSETS points to '{env}', which is not a folder.", "unset it or point it at the repository's assets/ folder");
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "assets");
                if (Directory.Exists(Path.Combine(candidate, "gpt2-tokenizer"))) return candidate;
            }
        }
        throw new UnravelUserException("cannot find the assets/ folder (tokenizer files, class names, shipped models).",
            "run unravel from inside the repository, or set UNRAVEL_ASSETS to its assets/ folder");
    }
}
