// Loads tools/fixtures/linear_explanations.py's output (scikit-learn elastic net, a numpy greedy search and numpy scoring).

using System.Text.Json;

namespace Unravel.Interpret.Tests.LinearExplanations;

internal static class LinearExplanationFixture
{
    private static readonly Lazy<JsonElement> s_root = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "linear_explanations.json")));
        return doc.RootElement.Clone();
    });

    public static JsonElement Root => s_root.Value;

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();
}
