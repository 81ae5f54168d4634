// A model shipped under assets/models/<name>/: model.json (the card: architecture, metrics, …) next to its weights.

using System.Text.Json;

namespace Unravel.Cli;

internal sealed record ShippedModel(string Name, string Architecture, string WeightsPath, IReadOnlyDictionary<string, string> Metrics, string? Judge = null)
{
    /// <summary>The shipped judge model named by the card next to <paramref name="weightsPath"/> ("judge": NAME), if any.</summary>
    /// <remarks>PURE's evaluation needs an embedding independent of the analysed model; a card can name a second shipped
    /// model, trained with another architecture and seed, for that role.</remarks>
    public static ShippedModel? JudgeFor(string weightsPath)
    {
        string full = Path.GetFullPath(weightsPath);
        IReadOnlyList<ShippedModel> all = All();
        string? judge = all.FirstOrDefault(m => Path.GetFullPath(m.WeightsPath) == full)?.Judge;
        return judge is null ? null : all.FirstOrDefault(m => m.Name == judge);
    }

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
                Path.Combine(folder, r.GetProperty("weights").GetString()!), metrics,
                r.TryGetProperty("judge", out JsonElement j) && j.ValueKind == JsonValueKind.String ? j.GetString() : null));
        }
        return result;
    }
}
