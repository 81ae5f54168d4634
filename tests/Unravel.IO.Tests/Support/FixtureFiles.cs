// Paths of the committed fixtures (tools/fixtures/io_formats.py) and the expected values in expected.json.

using System.Text.Json;
using Unravel.Tensors;

namespace Unravel.IO.Tests.Support;

public static class FixtureFiles
{
    public static string Root { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    private static readonly Lazy<JsonElement> s_expected = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path("expected.json"))).RootElement.GetProperty("files"));

    /// <summary>The expected tensors of one fixture file, decoded from float32 bit patterns.</summary>
    public static IReadOnlyDictionary<string, Tensor> Expected(string file)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (JsonProperty p in s_expected.Value.GetProperty(file).EnumerateObject())
        {
            int[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            float[] data = p.Value.GetProperty("bits").EnumerateArray().Select(e => BitConverter.UInt32BitsToSingle(e.GetUInt32())).ToArray();
            result[p.Name] = Tensor.FromArray(data, shape);
        }
        return result;
    }

    /// <summary>Names of the expected tensors of one fixture file, in the generator's order.</summary>
    public static IReadOnlyList<string> ExpectedNames(string file) =>
        s_expected.Value.GetProperty(file).EnumerateObject().Select(p => p.Name).ToList();

    public static (byte[] Data, int[] Shape) ExpectedBytes(string key)
    {
        JsonElement raw = s_expected.Value.GetProperty(key).GetProperty("raw");
        return (raw.GetProperty("bytes").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray(),
                raw.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }
}
