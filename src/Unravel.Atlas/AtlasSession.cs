// An open atlas with what every later stage needs from it: the manifest and layers (a layer found by its recorded
// name or by an alias the model's own alias table resolves, e.g. TransformerLens names of GPT-2 hooks), the model
// re-opened from the manifest's recorded source and config with its SHA-256 checked, the dataset re-opened from the
// recorded dataset spec (an IDX file read only up to the inputs the atlas collected) with its content hash checked, and the
// class names from the model card. Model and dataset are opened on first use, so listing layers or reading results costs
// nothing.

using Unravel.Models.Vision;

namespace Unravel.Atlas;

/// <summary>An atlas opened for analysis, reporting or exploring.</summary>
public sealed class AtlasSession
{
    private readonly Lazy<LoadedModel> _model;
    private readonly Lazy<ICollectionDataset> _dataset;

    private AtlasSession(AtlasReader atlas)
    {
        Atlas = atlas;
        _model = new Lazy<LoadedModel>(OpenModel);
        _dataset = new Lazy<ICollectionDataset>(() => OpenDataset(CollectedInputs));
    }

    /// <summary>Opens the atlas at <paramref name="path"/>, finishing or discarding a step a killed writer left (AtlasCommit).</summary>
    /// <exception cref="AtlasFormatException">No atlas there, an unreadable manifest, or a newer format.</exception>
    public static AtlasSession Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var reader = AtlasReader.Open(path);
        AtlasCommit.RecoverIfNeeded(reader.Root);
        return new AtlasSession(reader);
    }

    /// <summary>Opens the atlas at <paramref name="path"/> for one shard of a neuron fan-out: <see cref="Neurons"/> gives the
    /// shard's contiguous slice of the selection, and methods write their records without indexing them (RecordShards.Merge does).</summary>
    /// <exception cref="AtlasFormatException">No atlas there, an unreadable manifest, or a newer format.</exception>
    public static AtlasSession Open(string path, Scale.Shard? neuronsShard)
    {
        AtlasSession session = Open(path);
        session.Atlas.RecordShard = neuronsShard;
        return session;
    }

    /// <summary>Takes the atlas's writer's lock for <paramref name="command"/> (every stage that writes does, first). A session
    /// opened for a neuron shard takes none here: shards of one fan-out run at once on one atlas, write disjoint record
    /// files and no rows, and each takes the lock only while committing its files (waiting for the others).</summary>
    /// <exception cref="AtlasInUseException">Another process writes the atlas.</exception>
    public IDisposable Lock(string command, CancellationToken cancellationToken = default) =>
        Atlas.RecordShard is null ? AtlasLock.Acquire(Root, command, cancellationToken) : NoLock.Instance;

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>The atlas's files.</summary>
    public AtlasReader Atlas { get; }

    /// <summary>Full path of the atlas folder.</summary>
    public string Root => Atlas.Root;

    /// <summary>Collected layers in manifest order.</summary>
    public IReadOnlyList<AtlasLayer> Layers => Atlas.Layers;

    /// <summary>The model, re-opened on first use from the recorded source and config; its SHA-256 must match.</summary>
    /// <exception cref="UnravelException">The weights are gone or changed, or do not load.</exception>
    public LoadedModel Model => _model.Value;

    /// <summary>The dataset, rebuilt on first use from the recorded spec up to the last input the atlas collected (an IDX
    /// file is read only that far); its content hash must match.</summary>
    /// <exception cref="UnravelException">No spec recorded, the files are gone or changed.</exception>
    public ICollectionDataset Dataset => _dataset.Value;

    /// <summary>Inputs 0 … end − 1 of the dataset cover every input the atlas collected (end of a shard's range, or the count).</summary>
    private int CollectedInputs =>
        (Atlas.Manifest["shard"]?["end"]?.GetValue<int>() ?? Atlas.Inputs) is > 0 and var end ? end : int.MaxValue;

    /// <summary>Class names from the model card or checkpoint folder (or the image folder's class folders), or null.</summary>
    public IReadOnlyList<string>? ClassNames =>
        TryModel() is { } m ? m.ClassNames ?? (m.Model as IImageClassifier)?.ClassNames ?? (TryDataset() as ImageDataset)?.ClassNames : null;

    /// <summary>The layer named <paramref name="name"/>: its recorded name, or an alias of it in the model's alias table.</summary>
    /// <exception cref="LayerNotCollectedException">Neither; lists the collected layers.</exception>
    public AtlasLayer Layer(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Atlas.HasLayer(name)) return Atlas.Layer(name);
        string? resolved = TryModel()?.Model.Hooks.ResolveAlias(name);
        if (resolved is not null && resolved != name && Atlas.HasLayer(resolved)) return Atlas.Layer(resolved);
        throw new LayerNotCollectedException(Root, name, [.. Layers.Select(l => l.Name)]);
    }

    /// <summary>The neurons to analyse: <paramref name="neurons"/> (duplicates dropped, order kept), or all of the layer; of
    /// those, the shard's contiguous slice when the atlas was opened for a neuron shard.</summary>
    /// <exception cref="UnravelException">An index is outside the layer, or the list is empty.</exception>
    public int[] Neurons(AtlasLayer layer, IReadOnlyList<int>? neurons)
    {
        int[] selected = Selected(layer, neurons);
        if (Atlas.RecordShard is not { } shard) return selected;
        (int start, int end) = shard.Slice(selected.Length);
        return selected[start..end];
    }

    private static int[] Selected(AtlasLayer layer, IReadOnlyList<int>? neurons)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (neurons is null) return Enumerable.Range(0, layer.Neurons).ToArray();
        if (neurons.Count == 0) throw new UnravelException($"no neurons of layer '{layer.Name}' were selected.", "pass indices such as --neurons 3,17, or --all");
        foreach (int n in neurons)
            if ((uint)n >= (uint)layer.Neurons)
                throw new UnravelException($"layer '{layer.Name}' has {layer.Neurons} neurons (0 … {layer.Neurons - 1}); got {n}.",
                    "pick indices inside the layer; `unravel neurons ATLAS --layer L` lists them");
        return [.. neurons.Distinct()];
    }

    private LoadedModel? TryModel()
    {
        try
        {
            return Model;
        }
        catch (UnravelException)
        {
            return null;
        }
    }

    private ICollectionDataset? TryDataset()
    {
        try
        {
            return Dataset;
        }
        catch (UnravelException)
        {
            return null;
        }
    }

    private LoadedModel OpenModel()
    {
        string source = Atlas.ModelSource;
        bool exists = File.Exists(source) || Directory.Exists(source);
        if (!exists && Atlas.ModelSha256 is not null)
            throw new UnravelException($"{source}: the atlas's model is gone.", "restore the weights at that path, or re-collect the atlas");
        LoadedModel loaded = exists
            ? ModelReference.Load(source, Atlas.Architecture, Atlas.Seed, Atlas.ModelConfig)
            : ModelReference.Load(Atlas.Architecture, null, Atlas.Seed);
        if (Atlas.ModelSha256 is { } recorded && loaded.Sha256 is { } now && recorded != now)
            throw new UnravelException($"{source}: the weights changed since the atlas was collected (SHA-256 {now[..12]}… vs recorded {recorded[..12]}…).",
                "re-collect the atlas with `unravel collect`, or restore the original weights");
        return loaded;
    }

    /// <summary>The dataset's first <paramref name="limit"/> inputs (every input with int.MaxValue), rebuilt from the
    /// recorded spec with its content hash checked, for an analysis that also uses inputs the atlas did not collect
    /// (channel splitting's held-out images); <see cref="Dataset"/> covers the collected ones.</summary>
    /// <exception cref="UnravelException">No spec recorded, the files are gone or changed.</exception>
    public ICollectionDataset OpenDataset(int limit)
    {
        DatasetSpec spec = Atlas.Dataset ?? throw new UnravelException($"{Root}: the manifest does not say how to rebuild the dataset.",
            "re-create the atlas with this version of `unravel collect`");
        ICollectionDataset dataset = spec.Open(Model.Model, limit);
        if (Atlas.DatasetSha256 is { } recorded && recorded != dataset.ContentSha256)
            throw new UnravelException($"{spec.Path}: the dataset changed since the atlas was collected (content SHA-256 differs).", "re-collect the atlas");
        return dataset;
    }
}
