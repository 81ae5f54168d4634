// A model shipped under assets/models/<name>/: model.json (the card: architecture, metrics, …) next to its weights.

using System.Text.Json;

namespace Unravel.Cli;

internal sealed record ShippedModel(string Name, string Architecture, string WeightsPath, IReadOnlyDictionary<string, string> Metrics)
{
    /// <summary>Every shipped model with a readable card; none when assets/models does not exist.</summary>
    public static IReadOnlyList<ShippedModel> All()
    {
        string dir;
        try { dir = Assets.PathOf("models"); }
        catch (UnravelUserException) { return []; }
        if (!Directory.Exists(dir)) return [];
        var result = new List<ShippedModel>();
        foreach (string card in Directory.EnumerateFiles(dir, "model.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(card));
            JsonElement r = doc.RootElement;
            var metrics = new Dictionary<string, string>();
            if (r.TryGetProperty("metrics", out JsonElement m) && m.ValueKind == JsonValueKind.Object)
                foreach (JsonProperty p in m.EnumerateObject()) metrics[p.Name] = p.Value.ToString();
            string folder = Path.GetDirectoryName(card)!;
            result.Add(new ShippedModel(r.GetProperty("name").GetString()!, r.GetProperty("architecture").GetString()!,
                Path.Combine(folder, r.GetProperty("weights").GetString()!), metrics));
        }
        return result;
    }
}
