// A model shipped under assets/models/<name>/: model.json (the card: architecture, class names, metrics, …) next to
// its weights. The card is how a shipped name, or a shipped weights file passed by path, needs no --arch.

using System.Text.Json;

namespace Unravel.Atlas;

/// <summary>A shipped model's card.</summary>
/// <param name="Name">The name users type (e.g. "fashion-small-resnet").</param>
/// <param name="Architecture">Registry architecture name.</param>
/// <param name="WeightsPath">Full path of its weights file.</param>
/// <param name="Metrics">Recorded metrics, as text.</param>
/// <param name="Judge">Name of the shipped model PURE's evaluation uses as an independent judge, or null.</param>
/// <param name="ClassNames">Names of the output classes, or null.</param>
public sealed record ShippedModel(string Name, string Architecture, string WeightsPath, IReadOnlyDictionary<string, string> Metrics,
    string? Judge = null, IReadOnlyList<string>? ClassNames = null)
{
    /// <summary>SHA-256 (hex) of the weights file as the card records it ("weights_sha256"), or null; weights that differ are refused.</summary>
    public string? WeightsSha256 { get; init; }

    /// <summary>The card of the model called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static ShippedModel? Named(string name) => All().FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The card of the shipped model whose weights are <paramref name="weightsPath"/>, or null.</summary>
    public static ShippedModel? ForWeights(string weightsPath)
    {
        string full = Path.GetFullPath(weightsPath);
        return All().FirstOrDefault(m => Path.GetFullPath(m.WeightsPath) == full);
    }

    /// <summary>The shipped judge model named by the card next to <paramref name="weightsPath"/> ("judge": NAME), if any.</summary>
    /// <remarks>PURE's evaluation needs an embedding independent of the analysed model; a card can name a second shipped
    /// model, trained with another architecture and seed, for that role.</remarks>
    public static ShippedModel? JudgeFor(string weightsPath) => ForWeights(weightsPath)?.Judge is { } judge ? Named(judge) : null;

    /// <summary>Every shipped model with a readable card; none when assets/models does not exist.</summary>
    /// <exception cref="AtlasFormatException">A card is not valid JSON or lacks name, architecture or weights.</exception>
    public static IReadOnlyList<ShippedModel> All()
    {
        if (!Assets.Available) return [];
        string dir = Assets.PathOf("models");
        if (!Directory.Exists(dir)) return [];
        var result = new List<ShippedModel>();
        foreach (string card in Directory.EnumerateFiles(dir, "model.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            result.Add(Read(card));
        return result;
    }

    /// <summary>Reads one card.</summary>
    /// <exception cref="AtlasFormatException">Not valid JSON, or name, architecture or weights is missing.</exception>
    public static ShippedModel Read(string card)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(card));
            JsonElement r = doc.RootElement;
            var metrics = new Dictionary<string, string>();
            if (r.TryGetProperty("metrics", out JsonElement m) && m.ValueKind == JsonValueKind.Object)
                foreach (JsonProperty p in m.EnumerateObject()) metrics[p.Name] = p.Value.ToString();
            string folder = Path.GetDirectoryName(Path.GetFullPath(card))!;
            IReadOnlyList<string>? classes = r.TryGetProperty("class_names", out JsonElement n) && n.ValueKind == JsonValueKind.Array
                ? [.. n.EnumerateArray().Select(e => e.GetString() ?? "")] : null;
            return new ShippedModel(r.GetProperty("name").GetString()!, r.GetProperty("architecture").GetString()!,
                Path.Combine(folder, r.GetProperty("weights").GetString()!), metrics,
                r.TryGetProperty("judge", out JsonElement j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null, classes)
            {
                WeightsSha256 = r.TryGetProperty("weights_sha256", out JsonElement h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new AtlasFormatException(card, $"not a model card ({e.Message}).", "a card needs \"name\", \"architecture\" and \"weights\"", e);
        }
    }
}
