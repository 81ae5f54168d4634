// Loads the PyTorch op fixtures written by tools/fixtures/ops_<group>.py (see tools/fixtures/common.py).

using System.Text.Json;
using Unravel.Tensors;

namespace Unravel.Tensors.Tests.Support;

/// <summary>One PyTorch reference case: inputs, attributes, outputs, upstream gradients and input gradients.</summary>
public sealed class OpCase
{
    private readonly JsonElement _json;

    private OpCase(string group, JsonElement json)
    {
        Group = group;
        _json = json;
        Name = json.GetProperty("name").GetString()!;
        Op = json.GetProperty("op").GetString()!;
    }

    public string Group { get; }
    public string Name { get; }
    public string Op { get; }

    public override string ToString() => Name;

    public Tensor Input(string name) => ReadTensor(_json.GetProperty("inputs").GetProperty(name));
    public Tensor Output(string name = "y") => ReadTensor(_json.GetProperty("outputs").GetProperty(name));
    public Tensor GradOut(string name = "y") => ReadTensor(_json.GetProperty("grad_out").GetProperty(name));
    public Tensor Grad(string name) => ReadTensor(_json.GetProperty("grads").GetProperty(name));
    public bool HasInput(string name) => _json.GetProperty("inputs").TryGetProperty(name, out _);
    public bool HasGrad(string name) => _json.GetProperty("grads").TryGetProperty(name, out _);
    public IEnumerable<string> InputNames => _json.GetProperty("inputs").EnumerateObject().Select(p => p.Name);
    public IEnumerable<string> GradNames => _json.GetProperty("grads").EnumerateObject().Select(p => p.Name);

    public bool HasAttr(string name) => _json.GetProperty("attrs").TryGetProperty(name, out _);
    public int Int(string name) => _json.GetProperty("attrs").GetProperty(name).GetInt32();
    public float Float(string name) => (float)_json.GetProperty("attrs").GetProperty(name).GetDouble();
    public bool Bool(string name) => _json.GetProperty("attrs").GetProperty(name).GetBoolean();
    public string String(string name) => _json.GetProperty("attrs").GetProperty(name).GetString()!;
    public int[] Ints(string name) => _json.GetProperty("attrs").GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>An input tensor's values as integers (indices, labels).</summary>
    public int[] IntInput(string name) => Input(name).ToArray().Select(v => (int)v).ToArray();

    private static Tensor ReadTensor(JsonElement e)
    {
        int[] shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        float[] data = e.GetProperty("data").EnumerateArray().Select(ReadFloat).ToArray();
        return Tensor.FromArray(data, shape);
    }

    private static float ReadFloat(JsonElement x) => x.ValueKind switch
    {
        JsonValueKind.Number => (float)x.GetDouble(),
        _ => x.GetString() switch
        {
            "nan" or "NaN" => float.NaN,
            "inf" or "Infinity" => float.PositiveInfinity,
            "-inf" or "-Infinity" => float.NegativeInfinity,
            string s => throw new FormatException($"Bad fixture value '{s}'."),
            null => throw new FormatException("Null fixture value."),
        },
    };

    private static readonly Dictionary<string, OpCase[]> s_cache = [];

    /// <summary>All cases of Fixtures/ops/<paramref name="group"/>.json.</summary>
    public static OpCase[] Load(string group)
    {
        lock (s_cache)
        {
            if (s_cache.TryGetValue(group, out OpCase[]? cached)) return cached;
            string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "ops", group + ".json");
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            OpCase[] cases = doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new OpCase(group, c.Clone())).ToArray();
            s_cache[group] = cases;
            return cases;
        }
    }

    /// <summary>xUnit MemberData rows: (group, case name) for every case whose op is in <paramref name="ops"/>.</summary>
    public static TheoryData<string> Names(string group, params string[] ops)
    {
        var data = new TheoryData<string>();
        foreach (OpCase c in Load(group))
            if (ops.Length == 0 || ops.Contains(c.Op)) data.Add(c.Name);
        return data;
    }

    public static OpCase Get(string group, string name) => Load(group).Single(c => c.Name == name);
}
