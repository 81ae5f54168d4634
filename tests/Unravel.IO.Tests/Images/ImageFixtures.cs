// Loads the image fixtures written by tools/fixtures/images.py: Fixtures/images/manifest.json names the PNG and
// JPEG files and the zlib-compressed raw arrays of what Pillow / torchvision produced for them.

using System.IO.Compression;
using System.Text.Json;
using Unravel.IO.Images;

namespace Unravel.IO.Tests.Images;

/// <summary>A reference array: HWC uint8/uint16 image samples or a float32 CHW tensor.</summary>
public sealed record FixtureArray(string File, string Dtype, int[] Shape)
{
    public byte[] Bytes() => ImageFixtures.Inflate(File);

    public byte[] U8() => Dtype == "u8" ? Bytes() : throw new InvalidOperationException($"{File} is {Dtype}");

    public ushort[] U16()
    {
        byte[] b = Bytes();
        ushort[] v = new ushort[b.Length / 2];
        for (int i = 0; i < v.Length; i++)
            v[i] = (ushort)(b[2 * i] | (b[2 * i + 1] << 8));
        return v;
    }

    public float[] F32()
    {
        byte[] b = Bytes();
        float[] v = new float[b.Length / 4];
        Buffer.BlockCopy(b, 0, v, 0, b.Length);
        return v;
    }

    public int Height => Shape[0];
    public int Width => Shape[1];
    public int Channels => Shape[2];
}

/// <summary>One manifest entry (png, jpeg or transform).</summary>
public sealed class FixtureEntry
{
    private readonly JsonElement _json;

    internal FixtureEntry(JsonElement json) => _json = json;

    public string Name => _json.TryGetProperty("name", out JsonElement n) ? n.GetString()! : Path.GetFileName(String("file"));

    public string String(string key) => _json.GetProperty(key).GetString()!;

    public int Int(string key) => _json.GetProperty(key).GetInt32();

    public bool Has(string key) => _json.TryGetProperty(key, out _);

    public int Arg(string key) => _json.GetProperty("args").GetProperty(key).GetInt32();

    public float[] ArgFloats(string key) =>
        _json.GetProperty("args").GetProperty(key).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    public FixtureArray Array(string key)
    {
        JsonElement a = _json.GetProperty(key);
        return new FixtureArray(a.GetProperty("file").GetString()!, a.GetProperty("dtype").GetString()!,
            a.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    public override string ToString() => Name;
}

public static class ImageFixtures
{
    private static readonly Lazy<JsonElement> s_manifest = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "manifest.json"))).RootElement);

    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures", "images");

    public static string PathOf(string rel) => Path.Combine(Root, rel);

    public static IEnumerable<FixtureEntry> Section(string section) =>
        s_manifest.Value.GetProperty(section).EnumerateArray().Select(e => new FixtureEntry(e));

    public static FixtureEntry Find(string section, string name) => Section(section).Single(e => e.Name == name);

    /// <summary>xUnit member data: the names of one manifest section.</summary>
    public static TheoryData<string> Names(string section, Func<FixtureEntry, bool>? filter = null)
    {
        var data = new TheoryData<string>();
        foreach (FixtureEntry e in Section(section).Where(filter ?? (_ => true)))
            data.Add(e.Name);
        return data;
    }

    internal static byte[] Inflate(string rel)
    {
        using var z = new ZLibStream(File.OpenRead(PathOf(rel)), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        z.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Asserts equal size and channels and that no sample differs by more than
    /// <paramref name="tolerance"/>; the failure message gives the max difference, the count over tolerance and
    /// the first five differing samples.</summary>
    public static int AssertPixels(FixtureArray expected, Image actual, int tolerance, string label)
    {
        Assert.True(expected.Height == actual.Height && expected.Width == actual.Width && expected.Channels == actual.Channels,
            $"{label}: size {actual.Width}x{actual.Height}x{actual.Channels}, expected {expected.Width}x{expected.Height}x{expected.Channels}");
        return AssertSamples(expected.U8().Select(b => (int)b).ToArray(), actual.Pixels.Select(b => (int)b).ToArray(),
            actual.Width, actual.Channels, tolerance, label);
    }

    public static int AssertSamples(int[] expected, int[] actual, int width, int channels, int tolerance, string label)
    {
        Assert.Equal(expected.Length, actual.Length);
        int max = 0, over = 0;
        var first = new List<string>();
        for (int i = 0; i < expected.Length; i++)
        {
            int d = Math.Abs(expected[i] - actual[i]);
            max = Math.Max(max, d);
            if (d > tolerance)
            {
                over++;
                if (first.Count < 5)
                {
                    int px = i / channels;
                    first.Add($"(x {px % width}, y {px / width}, c {i % channels}): {actual[i]} vs {expected[i]}");
                }
            }
        }
        Assert.True(over == 0, $"{label}: maxDiff {max}, {over} samples differ by more than {tolerance}; first: {string.Join("; ", first)}");
        return max;
    }
}
