// Re-opens what an atlas was collected from: the model (checked against the recorded SHA-256) and the dataset (from
// manifest dataset.spec), so concepts, PURE, the report and the explorer can re-run or show reference inputs.

using Unravel.Interpret.Collection;
using Unravel.IO.Text;
using Unravel.Models.Text;

namespace Unravel.Cli;

internal static class AtlasSources
{
    /// <summary>Opens the atlas at <paramref name="path"/>.</summary>
    /// <exception cref="UnravelUserException">No atlas there, or its manifest is unreadable.</exception>
    public static AtlasReader Open(string path)
    {
        try
        {
            return AtlasReader.Open(path);
        }
        catch (FileNotFoundException e)
        {
            throw new UnravelUserException(e.Message, "create one with `unravel collect MODEL --data DATA --layers L --out ATLAS`");
        }
        catch (InvalidDataException e)
        {
            throw new UnravelUserException(e.Message, "re-create the atlas with `unravel collect`");
        }
    }

    /// <summary>The layer named <paramref name="layer"/>, as a user error listing the collected layers when absent.</summary>
    public static AtlasLayer Layer(AtlasReader atlas, string layer)
    {
        try
        {
            return atlas.Layer(layer);
        }
        catch (ArgumentException e)
        {
            string message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new UnravelUserException(message, "pass one of the collected layers, or collect this one with `unravel collect --layers`");
        }
    }

    /// <summary>The neurons named by a --neurons list ("3,17"; duplicates dropped, order kept), or all of the layer when null.</summary>
    /// <exception cref="UnravelUserException">An entry is not an index or is outside the layer, or the list is empty.</exception>
    public static int[] Neurons(AtlasLayer layer, string? list)
    {
        if (list is null) return Enumerable.Range(0, layer.Neurons).ToArray();
        var result = new List<int>();
        foreach (string part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
                throw new UnravelUserException($"--neurons: '{part}' is not a neuron index.", "pass indices such as --neurons 3,17");
            if (n >= layer.Neurons)
                throw new UnravelUserException($"--neurons: layer '{layer.Name}' has {layer.Neurons} neurons (0 … {layer.Neurons - 1}); got {n}.");
            if (!result.Contains(n)) result.Add(n);
        }
        if (result.Count == 0) throw new UnravelUserException("--neurons is empty.", "pass indices such as --neurons 3,17, or --all");
        return [.. result];
    }

    /// <summary>Loads the atlas's model; a weights file whose SHA-256 changed since collection is an error.</summary>
    public static LoadedModel Model(AtlasReader atlas)
    {
        string source = atlas.ModelSource;
        LoadedModel loaded = File.Exists(source) || Directory.Exists(source)
            ? ModelResolver.Resolve(source, atlas.Architecture, atlas.Seed)
            : ModelResolver.Resolve(atlas.Architecture, null, atlas.Seed);
        if (atlas.ModelSha256 is { } recorded && loaded.Sha256 is { } now && recorded != now)
            throw new UnravelUserException($"{source}: the weights changed since the atlas was collected (SHA-256 {now[..12]}… vs recorded {recorded[..12]}…).",
                "re-collect the atlas with `unravel collect`, or restore the original weights");
        return loaded;
    }

    /// <summary>Rebuilds the atlas's dataset from manifest dataset.spec; its content hash must match the recorded one.</summary>
    public static ICollectionDataset Dataset(AtlasReader atlas, LoadedModel model)
    {
        DatasetSpec spec = atlas.Dataset ?? throw new UnravelUserException($"{atlas.Root}: the manifest does not say how to rebuild the dataset.",
            "re-create the atlas with this version of `unravel collect`");
        if (!File.Exists(spec.Path) && !Directory.Exists(spec.Path))
            throw new UnravelUserException($"{spec.Path}: the atlas's dataset is gone.", "restore the file, or re-collect the atlas");
        ICollectionDataset dataset = spec.Kind switch
        {
            "idx" => ImageDataset.FromIdx(spec.Path, spec.Labels),
            "image-folder" => ImageDataset.FromFolder(spec.Path, new Unravel.IO.Images.ImagePreprocessing
            {
                ResizeTo = spec.Resize ?? 0, CropTo = spec.Crop ?? 0, Grayscale = spec.Grayscale ?? false,
                Mean = spec.Mean ?? [0.485f, 0.456f, 0.406f], Std = spec.Std ?? [0.229f, 0.224f, 0.225f],
            }),
            "brown" when model.Model is ILanguageModel => TokenWindowDataset.FromBrown(spec.Path, Tokenizer(), spec.Window ?? 64, spec.Bos ?? false),
            "text" when model.Model is ILanguageModel => TokenWindowDataset.FromText(File.ReadAllText(spec.Path), Tokenizer(), spec.Window ?? 64, spec.Bos ?? false, spec.Path),
            _ => throw new UnravelUserException($"{atlas.Root}: unknown dataset kind '{spec.Kind}' for a {model.Architecture} model.", "re-create the atlas with `unravel collect`"),
        };
        if (atlas.DatasetSha256 is { } recorded && recorded != dataset.ContentSha256)
            throw new UnravelUserException($"{spec.Path}: the dataset changed since the atlas was collected (content SHA-256 differs).", "re-collect the atlas");
        return dataset;
    }

    /// <summary>The shipped GPT-2 tokenizer.</summary>
    public static Gpt2Tokenizer Tokenizer() =>
        Gpt2Tokenizer.Load(Assets.PathOf("gpt2-tokenizer", "encoder.json"), Assets.PathOf("gpt2-tokenizer", "vocab.bpe"));
}
