// Locates the shipped assets/ folder (tokenizer files, class names, default models) from a source checkout or an
// installed tool: UNRAVEL_ASSETS, then the folders above the executable, then those above the working directory.

using Unravel.IO.Text;

namespace Unravel.Atlas;

/// <summary>The shipped assets.</summary>
public static class Assets
{
    private static readonly Lazy<string> s_root = new(Find);

    /// <summary>The assets folder.</summary>
    /// <exception cref="UnravelException">No assets folder was found.</exception>
    public static string Root => s_root.Value;

    /// <summary>A path inside the assets folder.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Whether the assets folder can be found.</summary>
    public static bool Available
    {
        get
        {
            try { return Root.Length > 0; }
            catch (UnravelException) { return false; }
        }
    }

    /// <summary>The shipped GPT-2 tokenizer.</summary>
    public static Gpt2Tokenizer Tokenizer() =>
        Gpt2Tokenizer.Load(PathOf("gpt2-tokenizer", "encoder.json"), PathOf("gpt2-tokenizer", "vocab.bpe"));

    /// <summary>The 1000 ImageNet class names, or null when the file is absent.</summary>
    public static IReadOnlyList<string>? ImageNetClasses()
    {
        if (!Available) return null;
        string file = PathOf("imagenet", "classes.txt");
        return File.Exists(file) ? File.ReadAllLines(file) : null;
    }

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("UNRAVEL_ASSETS") is { Length: > 0 } env)
            return Directory.Exists(env) ? env
                : throw new UnravelException($"UNRAVEL_ASSETS points to '{env}', which is not a folder.", "unset it or point it at the repository's assets/ folder");
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "assets");
                if (Directory.Exists(Path.Combine(candidate, "gpt2-tokenizer"))) return candidate;
            }
        }
        throw new UnravelException("cannot find the assets/ folder (tokenizer files, class names, shipped models).",
            "run unravel from inside the repository, or set UNRAVEL_ASSETS to its assets/ folder");
    }
}
