// A Hugging Face model folder (as written by save_pretrained / huggingface-cli download): config.json plus weights in
// model.safetensors, pytorch_model.bin, or shards listed by model.safetensors.index.json / pytorch_model.bin.index.json
// ({"metadata": {...}, "weight_map": {"<tensor key>": "<shard file>"}}). safetensors is preferred when both exist.
// Reference: transformers/modeling_utils.py (SAFE_WEIGHTS_NAME, WEIGHTS_NAME, *_INDEX_NAME).

using System.Text.Json;
using Unravel.Tensors;

namespace Unravel.IO;

/// <summary>An open Hugging Face model folder: its parsed config.json and its weights by tensor key.</summary>
/// <remarks>Shards are opened up front (headers only); tensor data is read on request. Dispose to close the files.</remarks>
public sealed class HuggingFaceFolder : ITensorSource
{
    /// <summary>config.json and the shard index are small; a larger file is refused before it is read.</summary>
    public const long MaxJsonBytes = 64L << 20;

    /// <summary>Weight files tried in this order.</summary>
    public static IReadOnlyList<string> WeightFileNames { get; } =
        ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"];

    private readonly List<ITensorSource> _files = [];
    private readonly Dictionary<string, ITensorSource> _owner = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    private HuggingFaceFolder(string directory, string configPath, JsonDocument config)
    {
        Location = directory;
        ConfigPath = configPath;
        Config = config;
    }

    /// <summary>The folder as given.</summary>
    public string Location { get; }

    public string ConfigPath { get; }

    /// <summary>config.json, parsed (read values with <c>Config.RootElement.GetProperty("n_embd").GetInt32()</c>).</summary>
    public JsonDocument Config { get; }

    /// <summary>The weight files in use (one, or every shard in index order).</summary>
    public IReadOnlyList<string> WeightFiles => _files.ConvertAll(f => f.Location);

    /// <summary>Tensor keys: file order for a single file, index order for shards.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Opens <paramref name="directory"/>: reads config.json and opens the weights.</summary>
    /// <exception cref="CheckpointFormatException">config.json or the weights are missing or malformed, an index names a
    /// shard outside the folder or a key its shard lacks.</exception>
    public static HuggingFaceFolder Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Hugging Face folder '{directory}' does not exist.");
        string configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath))
            throw new CheckpointFormatException(directory, "config.json", "the folder has no config.json",
                "download the whole model folder, e.g. huggingface-cli download <repo> --local-dir <folder>");
        var folder = new HuggingFaceFolder(directory, configPath, ParseJson(configPath));
        try
        {
            folder.OpenWeights();
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _owner.ContainsKey(name);

    public int[] GetShape(string name) => Owner(name).GetShape(name);

    public Tensor GetTensor(string name) => Owner(name).GetTensor(name);

    /// <summary>Reads every tensor, in <see cref="Names"/> order.</summary>
    public IReadOnlyDictionary<string, Tensor> ReadAll()
    {
        var all = new OrderedDictionary<string, Tensor>(_names.Count, StringComparer.Ordinal);
        foreach (string name in _names) all.Add(name, GetTensor(name));
        return all;
    }

    public void Dispose()
    {
        foreach (ITensorSource f in _files) f.Dispose();
        Config.Dispose();
    }

    private ITensorSource Owner(string name) =>
        _owner.TryGetValue(name, out ITensorSource? f) ? f
        : throw new KeyNotFoundException($"{Location}: no tensor named '{name}' (the model has {_names.Count} tensors).");

    private void OpenWeights()
    {
        string? found = WeightFileNames.FirstOrDefault(n => File.Exists(Path.Combine(Location, n)));
        if (found is null)
            throw new CheckpointFormatException(Location, "weights", "no weight file found; expected one of " + string.Join(", ", WeightFileNames),
                "download the weights too (prefer model.safetensors)");
        string path = Path.Combine(Location, found);
        if (!found.EndsWith(".index.json", StringComparison.Ordinal))
        {
            ITensorSource single = OpenFile(path);
            _files.Add(single);
            foreach (string name in single.Names) Add(name, single, path);
            return;
        }
        using JsonDocument index = ParseJson(path);
        if (index.RootElement.ValueKind != JsonValueKind.Object
            || !index.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(path, "weight_map", "the index has no \"weight_map\" object", null);
        var shards = new Dictionary<string, ITensorSource>(StringComparer.Ordinal);
        foreach (JsonProperty entry in map.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointFormatException(path, entry.Name, "the shard name is not a string", null);
            string shard = entry.Value.GetString()!;
            if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or "..")
                throw new CheckpointFormatException(path, entry.Name, $"shard '{shard}' is not a plain file name in the folder", null);
            if (!shards.TryGetValue(shard, out ITensorSource? source))
            {
                string shardPath = Path.Combine(Location, shard);
                if (!File.Exists(shardPath))
                    throw new CheckpointFormatException(path, entry.Name, $"shard '{shard}' is missing from the folder", "download every shard");
                source = OpenFile(shardPath);
                shards.Add(shard, source);
                _files.Add(source);
            }
            if (!source.Contains(entry.Name))
                throw new CheckpointFormatException(source.Location, entry.Name, $"the index maps this key to '{shard}', which lacks it", "the shards and the index disagree");
            Add(entry.Name, source, path);
        }
    }

    private void Add(string name, ITensorSource source, string path)
    {
        if (!_owner.TryAdd(name, source))
            throw new CheckpointFormatException(path, name, "the key appears twice", null);
        _names.Add(name);
    }

    private static ITensorSource OpenFile(string path) =>
        path.EndsWith(".safetensors", StringComparison.Ordinal) ? SafeTensors.Read(path) : TorchCheckpoint.Open(path);

    private static int FirstInvalidUtf8(byte[] bytes)
    {
        System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out int read, out _, replaceInvalidSequences: false);
        return read;
    }

    private static JsonDocument ParseJson(string path)
    {
        if (new FileInfo(path).Length > MaxJsonBytes)
            throw new CheckpointFormatException(path, "offset 0", $"{new FileInfo(path).Length} bytes is more than the {MaxJsonBytes}-byte limit for a config or index file",
                "is this the right file?");
        byte[] bytes = File.ReadAllBytes(path);
        // System.Text.Json checks UTF-8 in values but not in property names, which later fail as InvalidOperationException.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new CheckpointFormatException(path, "offset " + FirstInvalidUtf8(bytes), "the file is not valid UTF-8", null);
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}",
                $"invalid JSON ({e.Message})", null, e);
        }
    }
}
