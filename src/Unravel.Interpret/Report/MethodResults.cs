// Reads the per-neuron method results that the report and the explorer show: methods/concepts/<layer folder>/
// neuron_<idx>.json (concept vectors, Unravel issue 6) and methods/pure/<layer folder>/neuron_<idx>.json (PURE virtual
// neurons, issue 7), in the format of the atlas brief. Unknown fields are ignored and missing optional ones are null,
// so results from newer tool versions still render.

using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.Interpret.Collection;

namespace Unravel.Interpret.Report;

/// <summary>One concept (or virtual neuron): its members, share and best references.</summary>
/// <param name="Id">Concept id within the neuron.</param>
/// <param name="Size">Number of member inputs.</param>
/// <param name="Share">Size over the number of analysed top inputs.</param>
/// <param name="Members">Dataset indices of the members.</param>
/// <param name="TopInputs">Dataset indices by projection (or routed activation), best first.</param>
/// <param name="TopScores">Score of each top input.</param>
/// <param name="LabelEntropy">Entropy of the members' class labels, when labels exist.</param>
public sealed record ReportConcept(int Id, int Size, double Share, long[] Members, long[] TopInputs, double[] TopScores, double? LabelEntropy);

/// <summary>A concept-vector result of one neuron (method "concepts").</summary>
/// <param name="TopInputs">Dataset indices of the analysed top inputs, best first.</param>
/// <param name="TopValues">Their activations.</param>
/// <param name="Linkage">SciPy linkage matrix rows [a, b, height, size] over <paramref name="TopInputs"/>.</param>
/// <param name="CutHeight">Height the tree was cut at.</param>
/// <param name="Labels">Concept per top input (-1 = outlier or dropped).</param>
/// <param name="Concepts">The concepts.</param>
/// <param name="ConceptCount">Polysemanticity: number of concepts.</param>
/// <param name="Score">Polysemanticity score.</param>
/// <param name="Definition">What the score means.</param>
/// <param name="Provenance">Method, tool version, seed, config and creation time as written.</param>
public sealed record ConceptsReport(long[] TopInputs, double[] TopValues, double[][] Linkage, double? CutHeight, int[] Labels,
    IReadOnlyList<ReportConcept> Concepts, int? ConceptCount, double? Score, string? Definition, JsonObject Provenance);

/// <summary>A PURE result of one neuron (method "pure").</summary>
/// <param name="LowerLayer">Layer the circuits were taken from.</param>
/// <param name="K">Number of virtual neurons.</param>
/// <param name="References">Dataset indices of the references used.</param>
/// <param name="VirtualNeurons">The virtual neurons.</param>
/// <param name="KSelection">Score per candidate k, if k was chosen automatically.</param>
/// <param name="Evaluation">Evaluation block as written, if any.</param>
/// <param name="Provenance">Method, tool version, seed, config and creation time as written.</param>
public sealed record PureReport(string? LowerLayer, int K, long[] References, IReadOnlyList<ReportConcept> VirtualNeurons,
    IReadOnlyList<(string K, double Score)> KSelection, JsonNode? Evaluation, JsonObject Provenance);

/// <summary>Loads method results from an atlas.</summary>
public static class MethodResults
{
    /// <summary>Method folder name of concept vectors.</summary>
    public const string Concepts = "concepts";

    /// <summary>Method folder name of PURE.</summary>
    public const string Pure = "pure";

    /// <summary>Path of a neuron's result file for <paramref name="method"/> (it may not exist).</summary>
    public static string PathOf(AtlasReader atlas, string method, string layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return atlas.PathOf("methods", method, AtlasWriter.LayerFolder(layer), $"neuron_{neuron}.json");
    }

    /// <summary>Neuron indices with a result file for <paramref name="method"/> in <paramref name="layer"/>, ascending.</summary>
    public static IReadOnlyList<int> Analysed(AtlasReader atlas, string method, string layer)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        string dir = atlas.PathOf("methods", method, AtlasWriter.LayerFolder(layer));
        if (!Directory.Exists(dir)) return [];
        var result = new List<int>();
        foreach (string file in Directory.EnumerateFiles(dir, "neuron_*.json"))
        {
            string stem = Path.GetFileNameWithoutExtension(file)["neuron_".Length..];
            if (int.TryParse(stem, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)) result.Add(n);
        }
        result.Sort();
        return result;
    }

    /// <summary>The concept-vector result of a neuron, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or misses a required field.</exception>
    public static ConceptsReport? ReadConcepts(AtlasReader atlas, string layer, int neuron)
    {
        JsonObject? o = Read(PathOf(atlas, Concepts, layer, neuron));
        if (o is null) return null;
        string file = PathOf(atlas, Concepts, layer, neuron);
        try
        {
            JsonNode? poly = o["polysemanticity"];
            return new ConceptsReport(Longs(o["top_inputs"]), Doubles(o["top_values"]),
                o["linkage"]?.AsArray().Select(row => Doubles(row)).ToArray() ?? [], o["cut_height"]?.GetValue<double>(), Ints(o["labels"]),
                o["concepts"]?.AsArray().Select(c => Concept(c!.AsObject(), "id")).ToList() ?? [],
                poly?["concepts"]?.GetValue<int>(), poly?["score"]?.GetValue<double>(), poly?["definition"]?.GetValue<string>(), o);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"{file}: not a concepts result ({e.Message}).", e);
        }
    }

    /// <summary>The PURE result of a neuron, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or misses a required field.</exception>
    public static PureReport? ReadPure(AtlasReader atlas, string layer, int neuron)
    {
        string file = PathOf(atlas, Pure, layer, neuron);
        JsonObject? o = Read(file);
        if (o is null) return null;
        try
        {
            var selection = new List<(string, double)>();
            if (o["k_selection"] is JsonObject ks)
                foreach ((string k, JsonNode? v) in ks)
                    if (v is JsonValue) selection.Add((k, v.GetValue<double>()));
            IReadOnlyList<ReportConcept> vns = o["virtual_neurons"]?.AsArray().Select(c => Concept(c!.AsObject(), "id")).ToList() ?? [];
            return new PureReport(o["lower_layer"]?.GetValue<string>(), o["k"]?.GetValue<int>() ?? vns.Count, Longs(o["references"]), vns,
                selection, o["evaluation"], o);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"{file}: not a PURE result ({e.Message}).", e);
        }
    }

    private static JsonObject? Read(string file)
    {
        if (!File.Exists(file)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new InvalidDataException($"{file}: not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not valid JSON ({e.Message}).", e);
        }
    }

    private static ReportConcept Concept(JsonObject c, string idKey)
    {
        long[] members = Longs(c["members"]);
        return new ReportConcept(c[idKey]?.GetValue<int>() ?? 0, c["size"]?.GetValue<int>() ?? members.Length, c["share"]?.GetValue<double>() ?? double.NaN,
            members, Longs(c["top_inputs"]), Doubles(c["top_scores"]), c["label_entropy"]?.GetValue<double>());
    }

    private static long[] Longs(JsonNode? n) => n?.AsArray().Select(v => v!.GetValue<long>()).ToArray() ?? [];

    private static int[] Ints(JsonNode? n) => n?.AsArray().Select(v => v!.GetValue<int>()).ToArray() ?? [];

    private static double[] Doubles(JsonNode? n) => n?.AsArray().Select(v => v is null ? double.NaN : v.GetValue<double>()).ToArray() ?? [];
}
