// The atlas format's version: a written manifest records format_version = AtlasFormat.Version, a reader refuses a
// newer one with a message naming the file and both versions, and still reads a version-1 manifest.

using System.Text.Json.Nodes;

namespace Unravel.Atlas.Tests;

public sealed class AtlasFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-atlas-format-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Patch(string atlas, Action<JsonObject> change)
    {
        string file = Path.Combine(atlas, AtlasWriter.ManifestFile);
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        change(manifest);
        File.WriteAllText(file, manifest.ToJsonString());
    }

    [Fact]
    public void Write_Manifest_RecordsTheCurrentFormatVersion()
    {
        string atlas = TinyAtlas.Write(_dir);
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(atlas, AtlasWriter.ManifestFile)))!.AsObject();
        Assert.Equal(AtlasFormat.Version, manifest["format_version"]!.GetValue<int>());
        Assert.Equal(AtlasFormat.Version, AtlasReader.Open(atlas).FormatVersion);
    }

    [Fact]
    public void Open_NewerFormatVersion_RefusesNamingTheFileAndVersions()
    {
        string atlas = TinyAtlas.Write(_dir);
        Patch(atlas, m => m["format_version"] = AtlasFormat.Version + 1);
        AtlasFormatException e = Assert.Throws<AtlasFormatException>(() => AtlasSession.Open(atlas));
        Assert.Contains("manifest.json", e.Message);
        Assert.Contains($"format_version {AtlasFormat.Version + 1}", e.Message);
        Assert.Contains($"up to {AtlasFormat.Version}", e.Message);
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public void Open_VersionOneManifest_IsRead()
    {
        string atlas = TinyAtlas.Write(_dir);
        Patch(atlas, m =>
        {
            m.Remove("format_version");
            m["format"] = "unravel-atlas/1";
        });
        AtlasSession session = AtlasSession.Open(atlas);
        Assert.Equal(1, session.Atlas.FormatVersion);
        Assert.Equal(["layer3"], session.Layers.Select(l => l.Name));
    }

    [Theory]
    [InlineData("\"two\"")]
    [InlineData("0")]
    public void Open_MalformedFormatVersion_Refuses(string value)
    {
        string atlas = TinyAtlas.Write(_dir);
        Patch(atlas, m => m["format_version"] = JsonNode.Parse(value));
        Assert.Contains("format_version", Assert.Throws<AtlasFormatException>(() => AtlasReader.Open(atlas)).Message);
    }
}
