// LE(Label)'s concept matrix (Oikarinen & Weng 2024, ICML, §3): one column per class (one-hot of the ground-truth
// label) and one per superclass (1 when the label is a member). Superclasses come from WordNet hypernyms by the authors'
// rule (hypernyms covering ≥ 2 classes, one of each group with an identical class set), generated offline by
// tools/concepts/wordnet_superclasses.py and shipped as JSON, so no WordNet is needed at run time.

using System.Text.Json;

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Label and superclass concept matrices.</summary>
public static class LabelConcepts
{
    /// <summary>One-hot classes plus superclass columns for <paramref name="labels"/>.</summary>
    /// <exception cref="ArgumentException">A label or a superclass member is outside the classes, or a name repeats.</exception>
    public static ConceptMatrix Build(IReadOnlyList<int> labels, IReadOnlyList<string> classNames, IReadOnlyList<Superclass> superclasses, string source)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(superclasses);
        int c = classNames.Count, m = c + superclasses.Count, n = labels.Count;
        var member = new bool[superclasses.Count, c];
        for (int s = 0; s < superclasses.Count; s++)
            foreach (int k in superclasses[s].Classes)
            {
                if ((uint)k >= (uint)c) throw new ArgumentException($"concepts: superclass '{superclasses[s].Name}' names class {k} of {c}.", nameof(superclasses));
                member[s, k] = true;
            }
        var v = new float[(long)n * m];
        for (int i = 0; i < n; i++)
        {
            int y = labels[i];
            if ((uint)y >= (uint)c) throw new ArgumentException($"concepts: label {y} of input {i} is outside the {c} classes.", nameof(labels));
            v[(long)i * m + y] = 1;
            for (int s = 0; s < superclasses.Count; s++)
                if (member[s, y]) v[(long)i * m + c + s] = 1;
        }
        string[] names = classNames.Concat(superclasses.Select(s => s.Name)).ToArray();
        return new ConceptMatrix(names, v, n, new ConceptProvenance("labels", source,
            $"{c} one-hot classes + {superclasses.Count} WordNet-hypernym superclasses"));
    }

    /// <summary>Reads a superclass table written by tools/concepts/wordnet_superclasses.py: {"classes": [...],
    /// "superclasses": [{"name", "synset", "classes": [...]}]}.</summary>
    /// <exception cref="ArgumentException">The file is not such a table (names the file).</exception>
    public static (string[] Classes, Superclass[] Superclasses) ReadTable(string path)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = doc.RootElement;
            string[] classes = root.GetProperty("classes").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToArray();
            Superclass[] supers = root.GetProperty("superclasses").EnumerateArray().Select(e => new Superclass(
                e.GetProperty("name").GetString()!, e.GetProperty("synset").GetString()!,
                e.GetProperty("classes").EnumerateArray().Select(x => x.GetInt32()).ToArray())).ToArray();
            return (classes, supers);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ArgumentException($"concepts: {path} is not a superclass table ({e.Message}). HINT: regenerate it with tools/concepts/wordnet_superclasses.py.", nameof(path), e);
        }
    }
}
