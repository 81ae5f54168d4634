// Reads an atlas written by AtlasWriter (DESIGN.md §2): the manifest, the per-layer arrays and the atlas.db index.
// Every later stage (concepts, PURE, report, explorer) opens an atlas through this class and writes its own results
// back into the same directory: JSON/npy files under methods/<method>/<layer folder>/ (atomically, via
// Unravel.IO.AtomicFile) and rows in atlas.db (in one transaction).

using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.IO;
using Unravel.Tensors;

namespace Unravel.Atlas;

/// <summary>One collected layer as the manifest lists it.</summary>
/// <param name="Name">Hook name (the module path).</param>
/// <param name="Folder">Folder of its arrays, relative to the atlas root (layers/&lt;name&gt;).</param>
/// <param name="Shape">Activation shape of one input, without the batch axis.</param>
/// <param name="Neurons">Number of neurons (channels / units).</param>
/// <param name="Positions">Positions per input each neuron is evaluated at (H·W, tokens, or 1).</param>
/// <param name="Inputs">Inputs collected.</param>
/// <param name="Classes">Class labels with per-class top-k arrays.</param>
public sealed record AtlasLayer(string Name, string Folder, int[] Shape, int Neurons, int Positions, int Inputs, int[] Classes);

/// <summary>A neuron's reference inputs from a top-k table, best first.</summary>
/// <param name="Inputs">Dataset indices.</param>
/// <param name="Values">Activation (max or mean over positions).</param>
/// <param name="Positions">Argmax position (flattened H·W or token index).</param>
public sealed record TopInputs(long[] Inputs, float[] Values, int[] Positions);

/// <summary>Read access to an atlas directory.</summary>
public sealed class AtlasReader
{
    private readonly Dictionary<string, AtlasLayer> _layers;

    private AtlasReader(string root, JsonObject manifest, List<AtlasLayer> layers, int formatVersion)
    {
        Root = root;
        FormatVersion = formatVersion;
        Manifest = manifest;
        Layers = layers;
        _layers = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
    }

    /// <summary>Full path of the atlas directory.</summary>
    public string Root { get; }

    /// <summary>The neuron shard this process analyses (`--neurons-shard`), or null: method records are then written but
    /// not indexed in atlas.db, for RecordShards.Merge to index once every shard is done.</summary>
    public Scale.Shard? RecordShard { get; internal set; }

    /// <summary>The parsed manifest.json.</summary>
    public JsonObject Manifest { get; }

    /// <summary>Collected layers in manifest order.</summary>
    public IReadOnlyList<AtlasLayer> Layers { get; }

    /// <summary>Registry architecture name of the model.</summary>
    public string Architecture => Manifest["model"]?["architecture"]?.GetValue<string>() ?? "";

    /// <summary>The model's exact config as recorded (e.g. a GPT-2's size), or null for atlases that predate it.</summary>
    public JsonObject? ModelConfig => Manifest["model"]?["config"] as JsonObject;

    /// <summary>Checkpoint path (or a random-weights note) of the model.</summary>
    public string ModelSource => Manifest["model"]?["source"]?.GetValue<string>() ?? "";

    /// <summary>SHA-256 of the weights file, when there was one.</summary>
    public string? ModelSha256 => Manifest["model"]?["sha256"]?.GetValue<string>();

    /// <summary>Seed of the collection.</summary>
    public int Seed => Manifest["seed"]?.GetValue<int>() ?? 0;

    /// <summary>Number of inputs collected.</summary>
    public int Inputs => Manifest["dataset"]?["inputs"]?.GetValue<int>() ?? 0;

    /// <summary>SHA-256 of the dataset content as the model saw it.</summary>
    public string? DatasetSha256 => Manifest["dataset"]?["sha256"]?.GetValue<string>();

    /// <summary>How to rebuild the dataset; null for atlases written before it was recorded.</summary>
    public DatasetSpec? Dataset => Manifest["dataset"]?["spec"] is JsonObject s ? DatasetSpec.FromJson(s) : null;

    /// <summary>Full path of atlas.db.</summary>
    public string DatabasePath => Path.Combine(Root, AtlasWriter.DatabaseFile);

    /// <summary>Opens an atlas directory.</summary>
    /// <exception cref="AtlasFormatException">No manifest.json there, the manifest is not an atlas manifest, or it was
    /// written by a newer format than <see cref="AtlasFormat.Version"/>.</exception>
    public static AtlasReader Open(string path)
    {
        string root = Path.GetFullPath(path);
        string file = Path.Combine(root, AtlasWriter.ManifestFile);
        if (!File.Exists(file))
            throw new AtlasFormatException(path, $"not an atlas (no {AtlasWriter.ManifestFile}).",
                "create one with `unravel collect MODEL --data DATA --layers L --out ATLAS`");
        if (new FileInfo(file).Length > MaxManifestBytes)
            throw new AtlasFormatException(file, $"{new FileInfo(file).Length} bytes; a manifest is at most {MaxManifestBytes >> 20} MiB.", "re-create the atlas with `unravel collect`");
        JsonObject manifest;
        try
        {
            manifest = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new AtlasFormatException(file, "not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new AtlasFormatException(file, $"not valid JSON ({e.Message}).", "re-create the atlas with `unravel collect`", e);
        }
        if (manifest["format"] is not JsonValue fv || !fv.TryGetValue(out string? format) || !format.StartsWith(AtlasFormat.Name + "/", StringComparison.Ordinal))
            throw new AtlasFormatException(file, $"not an Unravel atlas manifest (no \"format\": \"{AtlasFormat.Name}/…\").");
        int version = AtlasFormat.VersionOf(manifest, file);
        if (version > AtlasFormat.Version)
            throw new AtlasFormatException(file, $"the atlas has format_version {version}; this unravel ({AtlasFormat.ToolVersion}) reads up to {AtlasFormat.Version}.",
                "open it with the newer unravel that wrote it, or re-collect it with this one");
        var layers = new List<AtlasLayer>();
        try
        {
            foreach (JsonNode? node in manifest["layers"]?.AsArray() ?? [])
            {
                JsonObject l = node!.AsObject();
                layers.Add(new AtlasLayer(l["name"]!.GetValue<string>(), l["folder"]!.GetValue<string>(),
                    l["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray(), l["neurons"]!.GetValue<int>(), l["positions"]!.GetValue<int>(),
                    l["inputs"]!.GetValue<int>(), l["classes"]?.AsArray().Select(c => c!.GetValue<int>()).ToArray() ?? []));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new AtlasFormatException(file, $"a \"layers\" entry lacks name, folder, shape, neurons, positions or inputs ({e.Message}).",
                "re-create the atlas with `unravel collect`", e);
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (AtlasLayer layer in layers)
            if ((names.Add(layer.Name) ? Invalid(layer) : "listed twice") is { } problem)
                throw new AtlasFormatException(file, $"layer '{layer.Name}': {problem}.", "re-create the atlas with `unravel collect`");
        var reader = new AtlasReader(root, manifest, layers, version);
        // The other fields are read on use; a value of the wrong type must fail here, as a format error naming it.
        foreach ((string field, Func<object?> read) in new (string, Func<object?>)[]
        {
            ("model.architecture", () => reader.Architecture), ("model.source", () => reader.ModelSource), ("model.sha256", () => reader.ModelSha256),
            ("seed", () => reader.Seed), ("dataset.inputs", () => reader.Inputs), ("dataset.sha256", () => reader.DatasetSha256),
            ("dataset.spec", () => reader.Dataset), ("model.config", () => reader.ModelConfig),
        })
        {
            try
            {
                read();
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException or NullReferenceException)
            {
                throw new AtlasFormatException(file, $"the field \"{field}\" has the wrong type or value ({e.Message}).", "re-create the atlas with `unravel collect`", e);
            }
        }
        return reader;
    }

    /// <summary>A manifest lists layers and files; no collection writes one near this size.</summary>
    private const long MaxManifestBytes = 64L << 20;

    /// <summary>More neurons than any layer holds: every stage keeps arrays of this length per layer.</summary>
    public const int MaxNeurons = 1 << 24;

    /// <summary>What is wrong with a layer entry (sizes every reader allocates by, a folder outside the atlas), or null.</summary>
    private static string? Invalid(AtlasLayer layer)
    {
        if (layer.Name.Length == 0) return "an empty name";
        if (layer.Neurons is < 1 or > MaxNeurons) return $"{layer.Neurons} neurons (1 … {MaxNeurons})";
        if (layer.Positions < 1 || layer.Inputs < 0 || layer.Shape.Length is 0 or > 8 || layer.Shape.Any(d => d < 1))
            return $"shape [{string.Join(", ", layer.Shape)}], {layer.Positions} positions, {layer.Inputs} inputs";
        string folder = layer.Folder.Replace('\\', '/');
        if (Path.IsPathRooted(folder) || folder.Split('/').Any(p => p is "" or "." or ".."))
            return $"its folder '{layer.Folder}' is not a plain path inside the atlas";
        return null;
    }

    /// <summary>The format version the atlas was written with (1 for atlases that predate format_version).</summary>
    public int FormatVersion { get; }

    /// <summary>The layer called <paramref name="name"/> exactly as recorded (see <see cref="AtlasSession.Layer"/> for aliases).</summary>
    /// <exception cref="LayerNotCollectedException">No such layer; lists the collected ones.</exception>
    public AtlasLayer Layer(string name) => _layers.TryGetValue(name, out AtlasLayer? layer) ? layer
        : throw new LayerNotCollectedException(Root, name, [.. _layers.Keys]);

    /// <summary>Whether the atlas holds a layer called <paramref name="name"/> exactly.</summary>
    public bool HasLayer(string name) => _layers.ContainsKey(name);

    /// <summary>Whether the array layers/&lt;layer&gt;/&lt;array&gt;.npy exists.</summary>
    public bool Has(string layer, string array) => File.Exists(ArrayPath(layer, array));

    /// <summary>Reads a float32 array of a layer (e.g. "mean", "pooled_mean", "top_max_values").</summary>
    public Tensor ReadFloat(string layer, string array) => Npy.Read(ArrayPath(layer, array));

    /// <summary>Reads an int64 array of a layer (e.g. "top_max_indices", "pooled_indices", "histogram").</summary>
    public (long[] Data, int[] Shape) ReadInt64(string layer, string array) => Npy.ReadInt64(ArrayPath(layer, array));

    /// <summary>Reads an int32 array of a layer (e.g. "top_max_positions").</summary>
    public (int[] Data, int[] Shape) ReadInt32(string layer, string array) => Npy.ReadInt32(ArrayPath(layer, array));

    /// <summary>A neuron's top-k references (unfilled slots dropped), best first.</summary>
    /// <param name="layer">Layer name.</param>
    /// <param name="neuron">Neuron index.</param>
    /// <param name="ranking">"max" or "mean" (over positions), or "rel" (CRP relevance, written by collect --relevance); "class_3_top_max"-style prefixes work too via <paramref name="prefix"/>.</param>
    /// <param name="prefix">Array prefix overriding <paramref name="ranking"/>, e.g. "class_3_top_max".</param>
    /// <exception cref="ArgumentOutOfRangeException">The neuron index is outside the layer.</exception>
    public TopInputs TopInputs(string layer, int neuron, string ranking = "max", string? prefix = null)
    {
        AtlasLayer l = Layer(layer);
        if ((uint)neuron >= (uint)l.Neurons)
            throw new ArgumentOutOfRangeException(nameof(neuron), $"atlas: layer '{layer}' has {l.Neurons} neurons (0 … {l.Neurons - 1}); got {neuron}.");
        string p = prefix ?? (ranking is "max" or "mean" or "rel" ? "top_" + ranking : throw new ArgumentException($"atlas: ranking must be max, mean or rel (got '{ranking}').", nameof(ranking)));
        (long[] idx, int[] shape) = ReadInt64(layer, p + "_indices");
        float[] values = ReadFloat(layer, p + "_values").ToArray();
        (int[] pos, _) = ReadInt32(layer, p + "_positions");
        int k = shape[0], c = shape[1];
        var inputs = new List<long>(k);
        var vals = new List<float>(k);
        var positions = new List<int>(k);
        for (int r = 0; r < k; r++)
        {
            long input = idx[r * c + neuron];
            if (input < 0) continue;
            inputs.Add(input);
            vals.Add(values[r * c + neuron]);
            positions.Add(pos[r * c + neuron]);
        }
        return new TopInputs([.. inputs], [.. vals], [.. positions]);
    }

    /// <summary>The pooled per-input vectors [N, C] ("mean" or "max" over positions) and the dataset index of each row.</summary>
    /// <exception cref="AtlasFormatException">The collection did not keep pooled vectors (--no-pooled).</exception>
    public (Tensor Vectors, long[] Inputs) Pooled(string layer, string pooling = "mean")
    {
        Layer(layer);
        if (!Has(layer, "pooled_" + pooling))
            throw new AtlasFormatException(Path.Combine(Root, Layer(layer).Folder, $"pooled_{pooling}.npy"),
                $"layer '{layer}' has no pooled_{pooling} vectors (collected with --no-pooled?).",
                "concept vectors cluster the pooled [inputs, C] vectors: re-run `unravel collect` without --no-pooled");
        return (ReadFloat(layer, "pooled_" + pooling), ReadInt64(layer, "pooled_indices").Data);
    }

    /// <summary>A path inside the atlas.</summary>
    public string PathOf(params string[] relative) => Path.Combine([Root, .. relative]);

    /// <summary>The folder for a method's per-layer results: methods/&lt;method&gt;/&lt;layer folder&gt; (created).</summary>
    public string MethodFolder(string method, string layer)
    {
        string dir = PathOf("methods", method, AtlasWriter.LayerFolder(Layer(layer).Name));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private string ArrayPath(string layer, string array) => Path.Combine(Root, Layer(layer).Folder, array + ".npy");
}
