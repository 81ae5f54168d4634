// Loads tests/Unravel.Interpret.Tests/Fixtures/clustering.json, written by tools/fixtures/clustering.py from SciPy and
// scikit-learn.

using System.Text.Json;

namespace Unravel.Interpret.Tests.Clustering;

/// <summary>Accessors for the SciPy/scikit-learn clustering fixture.</summary>
internal static class ClusteringFixture
{
    private static readonly Lazy<JsonElement> s_root = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "clustering.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    });

    public static JsonElement Root => s_root.Value;

    public static JsonElement Section(string name) => Root.GetProperty(name);

    public static JsonElement Case(string section, int index) => Section(section)[index];

    /// <summary>Case indices of a section, for [MemberData].</summary>
    public static TheoryData<int> Indices(string section)
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Section(section).GetArrayLength(); i++) data.Add(i);
        return data;
    }

    public static float[,] Dataset(string name) => Matrix(Root.GetProperty("datasets").GetProperty(name).GetProperty("data"));

    /// <summary>A matrix stored as shortest float32 text: parse as double, round to float.</summary>
    public static float[,] Matrix(JsonElement rows)
    {
        int n = rows.GetArrayLength(), d = rows[0].GetArrayLength();
        var m = new float[n, d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) m[i, j] = (float)rows[i][j].GetDouble();
        return m;
    }

    public static double[,] DoubleMatrix(JsonElement rows)
    {
        int n = rows.GetArrayLength(), d = rows[0].GetArrayLength();
        var m = new double[n, d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) m[i, j] = rows[i][j].GetDouble();
        return m;
    }

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>Labels renumbered by first appearance, so two labelings are equal up to permutation iff these are equal.</summary>
    public static int[] Canonical(ReadOnlySpan<int> labels)
    {
        var map = new Dictionary<int, int>();
        var result = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (!map.TryGetValue(labels[i], out int c)) map[labels[i]] = c = map.Count;
            result[i] = c;
        }
        return result;
    }

    public static void CloseRel(double expected, double actual, double rtol, double atol, string what)
    {
        double err = Math.Abs(expected - actual);
        Assert.True(err <= atol + rtol * Math.Abs(expected), $"{what}: expected {expected:R}, got {actual:R} (|diff| {err:E2})");
    }
}
