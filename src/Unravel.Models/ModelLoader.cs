// Loads a checkpoint into a registered architecture: opens a .safetensors / .pth / Hugging Face folder through
// Unravel.IO, builds the model from the tensors, and checks strictly that every key was used with the right shape.
// Two PyTorch-wide irregularities are handled here, for every architecture: a "module." prefix on every key
// (checkpoints saved from nn.DataParallel) is stripped, and a missing BatchNorm "num_batches_tracked" counter (state
// dicts saved before PyTorch 0.4.1, such as torchvision's original ImageNet weights) is filled with 0, as
// torch.nn.BatchNorm2d._load_from_state_dict does.

using Unravel.IO;
using Unravel.Models.Vision;

namespace Unravel.Models;

/// <summary>Builds registered models from checkpoint files.</summary>
public static class ModelLoader
{
    private const string DataParallelPrefix = "module.";

    /// <summary>Loads <paramref name="path"/> into the registry preset <paramref name="architecture"/> (e.g. "resnet50").</summary>
    /// <exception cref="ArgumentException">Unknown architecture; the message lists the known ones.</exception>
    /// <exception cref="CheckpointFormatException">The file is malformed.</exception>
    /// <exception cref="WeightMismatchException">Keys are missing, unexpected or mis-shaped; all are listed.</exception>
    public static RootModule Load(string path, string architecture) => Load(path, ModelRegistry.Get(architecture));

    /// <summary>Loads <paramref name="path"/> into <paramref name="architecture"/> (a registry entry or a custom one,
    /// e.g. a reduced-width config).</summary>
    /// <exception cref="CheckpointFormatException">The file is malformed.</exception>
    /// <exception cref="WeightMismatchException">Keys are missing, unexpected or mis-shaped; all are listed.</exception>
    public static RootModule Load(string path, Architecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        using ITensorSource source = TensorSource.Open(path);
        var tensors = new Dictionary<string, Tensor>(source.Names.Count, StringComparer.Ordinal);
        foreach (string name in source.Names) tensors[name] = source.GetTensor(name);
        Normalize(tensors);
        IReadOnlyDictionary<string, Tensor> prepared = architecture.PrepareWeights?.Invoke(tensors, source.Location) ?? tensors;
        WeightSource ws = WeightSource.FromTensors(prepared, $"{source.Location} ({architecture.Name})");
        RootModule model = architecture.Create(ws);
        ws.Complete([.. architecture.IgnoredKeys]);
        if (model is IImageClassifier classifier && source is HuggingFaceFolder folder)
            classifier.ClassNames = ReadLabels(folder, classifier.Classes);
        return model;
    }

    /// <summary>As <see cref="Load(string, string)"/>, for architectures that classify images.</summary>
    /// <exception cref="ArgumentException">The architecture is not an image classifier.</exception>
    public static IImageClassifier LoadImageClassifier(string path, string architecture)
    {
        Architecture arch = ModelRegistry.Get(architecture);
        return Load(path, arch) as IImageClassifier
            ?? throw new ArgumentException($"architecture '{arch.Name}' ({arch.Family}) is not an image classifier.", nameof(architecture));
    }

    /// <summary>Strips a DataParallel "module." prefix and fills absent BatchNorm counters.</summary>
    internal static void Normalize(Dictionary<string, Tensor> tensors)
    {
        if (tensors.Count > 0 && tensors.Keys.All(k => k.StartsWith(DataParallelPrefix, StringComparison.Ordinal)))
        {
            var stripped = tensors.ToList();
            tensors.Clear();
            foreach ((string key, Tensor value) in stripped) tensors[key[DataParallelPrefix.Length..]] = value;
        }
        const string mean = ".running_mean", counter = ".num_batches_tracked";
        foreach (string key in tensors.Keys.Where(k => k.EndsWith(mean, StringComparison.Ordinal)).ToList())
        {
            string counterKey = key[..^mean.Length] + counter;
            if (!tensors.ContainsKey(counterKey)) tensors[counterKey] = Tensor.Zeros();
        }
    }

    /// <summary>Class names from config.json's "id2label" when it has exactly one label per class.</summary>
    private static string[]? ReadLabels(HuggingFaceFolder folder, int classes)
    {
        if (!folder.Config.RootElement.TryGetProperty("id2label", out System.Text.Json.JsonElement map)
            || map.ValueKind != System.Text.Json.JsonValueKind.Object)
            return null;
        var labels = new string[classes];
        int found = 0;
        foreach (System.Text.Json.JsonProperty p in map.EnumerateObject())
        {
            if (!int.TryParse(p.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id)
                || id >= classes || p.Value.ValueKind != System.Text.Json.JsonValueKind.String || labels[id] is not null)
                return null;
            labels[id] = p.Value.GetString()!;
            found++;
        }
        return found == classes ? labels : null;
    }
}
