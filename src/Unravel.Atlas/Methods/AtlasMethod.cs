// The part every method shares: its results are one JSON file per neuron (a NeuronRecord<TResult>, written and read by
// the method's System.Text.Json source-generated type), and the values of its columns in atlas.db's neurons table (plus
// any table of its own); a layer's files and rows are replaced together in one atomic step (AtlasCommit). A method supplies its name, record
// type, columns, report section and on-demand run; see docs/adding-a-method.md.

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Data.Sqlite;
using Unravel.Atlas.Report;
using Unravel.IO;

namespace Unravel.Atlas.Methods;

/// <summary>Base of a registered method with per-neuron records of type <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">The per-neuron record (a sealed record serialised by a JsonSerializerContext).</typeparam>
public abstract class AtlasMethod<TResult> : IAtlasMethod where TResult : class
{
    private readonly JsonTypeInfo<NeuronRecord<TResult>> _typeInfo;

    /// <summary>A method called <paramref name="name"/> whose files are read and written by <paramref name="typeInfo"/>.</summary>
    protected AtlasMethod(string name, string title, JsonTypeInfo<NeuronRecord<TResult>> typeInfo)
    {
        Name = name;
        Title = title;
        _typeInfo = typeInfo;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Title { get; }

    /// <inheritdoc/>
    public abstract IReadOnlyList<NeuronColumn> Columns { get; }

    /// <summary>The values of <see cref="Columns"/> for one result, in the same order (null = SQL NULL).</summary>
    protected abstract object?[] ColumnValues(TResult result);

    /// <summary>What makes a record unusable although every value is present (an index outside its array, lengths that
    /// should agree and do not), or null; a record read from an atlas is refused with it before anything uses it.</summary>
    protected virtual string? Problem(TResult result) => null;

    /// <summary>Writes rows of the method's own tables for one neuron (after its old rows were deleted); none by default.</summary>
    protected virtual void WriteTables(AtlasDatabase db, string layer, int neuron, TResult result)
    {
    }

    /// <summary>SQL that creates the method's own tables (IF NOT EXISTS), and deletes a neuron's rows ($layer, $neuron); none by default.</summary>
    protected virtual (string Create, string Delete)? Tables => null;

    /// <summary>Dataset indices shown in the section, for the report to prepare in one batch.</summary>
    protected abstract IEnumerable<long> References(TResult result);

    /// <summary>Summary card HTML, or null.</summary>
    protected virtual string? Card(NeuronRecord<TResult> record) => null;

    /// <summary>The neuron page's section.</summary>
    protected abstract string Section(ReportContext context, NeuronRecord<TResult> record);

    /// <inheritdoc/>
    public virtual string? Unavailable(AtlasReader atlas, AtlasLayer layer, int neuron) => null;

    /// <inheritdoc/>
    public abstract void AnalyseNeuron(AtlasSession session, string layer, int neuron, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public string PathOf(AtlasReader atlas, string layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return atlas.PathOf("methods", Name, AtlasWriter.LayerFolder(layer), $"neuron_{neuron.ToString(CultureInfo.InvariantCulture)}.json");
    }

    /// <inheritdoc/>
    public IReadOnlyList<int> Analysed(AtlasReader atlas, string layer)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        string dir = atlas.PathOf("methods", Name, AtlasWriter.LayerFolder(layer));
        if (!Directory.Exists(dir)) return [];
        var result = new List<int>();
        foreach (string file in Directory.EnumerateFiles(dir, "neuron_*.json"))
            if (int.TryParse(Path.GetFileNameWithoutExtension(file).AsSpan("neuron_".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                result.Add(n);
        result.Sort();
        return result;
    }

    /// <summary>The neuron's record, or null when it has none.</summary>
    /// <exception cref="AtlasFormatException">The file is not a record of this method, or was written by a newer format.</exception>
    public NeuronRecord<TResult>? Read(AtlasReader atlas, string layer, int neuron)
    {
        string file = PathOf(atlas, layer, neuron);
        if (!File.Exists(file)) return null;
        NeuronRecord<TResult>? record;
        try
        {
            using FileStream stream = File.OpenRead(file);
            record = JsonSerializer.Deserialize(stream, _typeInfo);
        }
        catch (JsonException e)
        {
            throw new AtlasFormatException(file, $"not a {Name} result ({e.Message}).", $"re-run `unravel {Name}` on this neuron, or delete the file", e);
        }
        // Result's type is a type parameter, whose nullability the contract cannot state: checked by hand.
        string? missing = record is null ? "$" : record.Result is null ? "$.result" : RecordNulls.Find(record, _typeInfo);
        if (missing is not null)
            throw new AtlasFormatException(file, $"not a {Name} result (no value at {missing}).", $"re-run `unravel {Name}` on this neuron, or delete the file");
        if (record!.FormatVersion > AtlasFormat.Version)
            throw new AtlasFormatException(file, $"written with format_version {record.FormatVersion}; this unravel reads up to {AtlasFormat.Version}.",
                "open the atlas with the newer unravel that wrote it");
        if (Problem(record.Result!) is { } problem)
            throw new AtlasFormatException(file, $"not a {Name} result ({problem}).", $"re-run `unravel {Name}` on this neuron, or delete the file");
        return record;
    }

    /// <summary>Writes the results of <paramref name="results"/> for <paramref name="layer"/>, replacing earlier ones, in one
    /// atomic step (AtlasCommit): one file per neuron, <paramref name="layerFiles"/> in the method's layer folder, and the
    /// columns and tables, all or nothing even when the process is killed. An atlas opened for a neuron shard gets the
    /// files and the shard's marker instead of the database rows (RecordShards.Merge indexes them).</summary>
    /// <param name="atlas">The atlas.</param>
    /// <param name="layer">The layer's recorded name.</param>
    /// <param name="provenance">Provenance of every record.</param>
    /// <param name="results">The neurons' results.</param>
    /// <param name="layerFiles">Further files of the layer (file name → content), e.g. a layer summary; none by default.</param>
    /// <exception cref="AtlasInUseException">Another process writes the atlas.</exception>
    public void Write(AtlasReader atlas, string layer, Provenance provenance, IReadOnlyList<(int Neuron, TResult Result)> results,
        IReadOnlyDictionary<string, byte[]>? layerFiles = null)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(results);
        string folder = $"methods/{Name}/{AtlasWriter.LayerFolder(atlas.Layer(layer).Name)}";
        using AtlasCommit commit = AtlasCommit.Begin(atlas.Root, Name, waitForOthers: atlas.RecordShard is not null);
        foreach ((int neuron, TResult result) in results)
            commit.Stage($"{folder}/neuron_{neuron.ToString(CultureInfo.InvariantCulture)}.json",
                JsonSerializer.SerializeToUtf8Bytes(new NeuronRecord<TResult>(AtlasFormat.Version, provenance, layer, neuron, result), _typeInfo));
        foreach ((string name, byte[] content) in layerFiles ?? new Dictionary<string, byte[]>())
            commit.Stage($"{folder}/{name}", content);
        if (atlas.RecordShard is { } shard)
        {
            commit.Commit();
            Scale.RecordShards.WriteMarker(atlas, Name, layer, shard, [.. results.Select(r => r.Neuron)]);
            return;
        }
        WriteRows(commit.Database, layer, results);
        commit.Commit();
    }

    /// <inheritdoc/>
    public void Index(AtlasReader atlas, string layer, IReadOnlyList<int> neurons)
    {
        ArgumentNullException.ThrowIfNull(neurons);
        var results = neurons.Select(n => (n, (Read(atlas, layer, n)
            ?? throw new AtlasFormatException(PathOf(atlas, layer, n), $"no {Name} record of neuron {n}.", "re-run that shard")).Result)).ToList();
        using AtlasCommit commit = AtlasCommit.Begin(atlas.Root, Name);
        WriteRows(commit.Database, layer, results);
        commit.Commit();
    }

    private void WriteRows(AtlasDatabase db, string layer, IReadOnlyList<(int Neuron, TResult Result)> results)
    {
        foreach (NeuronColumn c in Columns) db.EnsureColumn("neurons", c.Name, c.SqlType);
        if (Tables is { } tables) db.Execute(tables.Create);
        string set = string.Join(", ", Columns.Select((c, i) => $"{c.Name} = $c{i}"));
        foreach ((int neuron, TResult result) in results)
        {
            object?[] values = ColumnValues(result);
            if (Columns.Count > 0)
                db.Execute($"UPDATE neurons SET {set} WHERE layer = $layer AND idx = $neuron",
                    [.. values.Select((v, i) => ($"$c{i}", v)), ("$layer", layer), ("$neuron", neuron)]);
            if (Tables is { } t) db.Execute(t.Delete, ("$layer", layer), ("$neuron", neuron));
            WriteTables(db, layer, neuron, result);
        }
    }

    IEnumerable<long> IAtlasMethod.References(AtlasReader atlas, string layer, int neuron) =>
        Read(atlas, layer, neuron) is { } r ? References(r.Result) : [];

    string? IAtlasMethod.Card(AtlasReader atlas, string layer, int neuron) => Read(atlas, layer, neuron) is { } r ? Card(r) : null;

    string? IAtlasMethod.Section(ReportContext context, string layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Read(context.Atlas, layer, neuron) is { } r ? Section(context, r) : null;
    }
}
