// A scratch folder per test, deleted on dispose.

namespace Unravel.IO.Tests.Support;

public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Root = Directory.CreateTempSubdirectory("unravel-io-").FullName;
    }

    public string Root { get; }

    public string Path(string name) => System.IO.Path.Combine(Root, name);

    /// <summary>Writes <paramref name="bytes"/> to a file in the folder and returns its path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string p = Path(name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    /// <summary>Copies a fixture into the folder (for tests that damage it) and returns the copy's path.</summary>
    public string Copy(string fixture, string? name = null)
    {
        string p = Path(name ?? System.IO.Path.GetFileName(fixture));
        File.Copy(FixtureFiles.Path(fixture), p);
        return p;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
