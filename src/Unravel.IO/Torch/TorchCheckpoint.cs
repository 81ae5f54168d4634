// PyTorch checkpoints in torch.save's zip format (the default since PyTorch 1.6): a zip archive whose entries share
// one top folder (`archive/` or the file's stem) holding `data.pkl` (the pickled object, read by MiniPickle without
// executing anything), `data/<key>` (one raw little-endian storage per key), `version` and, since 2.x, `byteorder`.
// Tensors are strided views of storages (offset, size, stride); non-contiguous views are copied into row-major order.
// Reference: torch/serialization.py (_save, _load) and torch/_utils.py (_rebuild_tensor_v2).

using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using Unravel.IO.Internal;
using Unravel.Tensors;
using static Unravel.IO.MiniPickle;

namespace Unravel.IO;

/// <summary>An open <c>.pt</c>/<c>.pth</c>/<c>.bin</c> checkpoint: its state_dict, read tensor by tensor.</summary>
/// <remarks>
/// A checkpoint may be a bare state_dict (<c>torch.save(model.state_dict(), path)</c>) or a dict that wraps one
/// (<c>{"state_dict": ..., "optimizer": ..., "epoch": 3}</c>). <see cref="Names"/> and <see cref="GetTensor"/> address
/// the state_dict: the root when it holds tensors, else the top-level entry named by <see cref="StateDictKey"/>.
/// Every tensor of the file is also reachable by its dotted path (<see cref="AllTensorNames"/>, <see cref="GetTensorAt"/>),
/// and plain values by <see cref="Values"/>. Thread-safe; dispose to close the file.
/// </remarks>
public sealed class TorchCheckpoint : ITensorSource
{
    /// <summary>Wrapper keys tried, in this order, when the root dict holds no tensors itself.</summary>
    public static IReadOnlyList<string> WrapperKeys { get; } =
        ["state_dict", "model_state_dict", "model", "module", "net", "network", "weights", "params"];

    private const string ResaveHint = "load it in Python and re-save with torch.save(model.state_dict(), path)";
    private const long MaxPickleBytes = 1L << 26;
    private const long MaxDeflateRatio = 1032; // deflate cannot expand data more than about 1032:1
    private const int MaxDepth = 64;

    /// <summary>Largest storage, in elements, that fits one float32 tensor (an 8 GiB array).</summary>
    public const long MaxStorageElements = 0x7FFFFFC7; // Array.MaxLength

    // Flattening visits every reference to a shared container again, so a pickle whose memo repeats nested lists grows
    // exponentially with its size (a 1.7 KB file once grew past 6 GiB). Without sharing, each visited node and each
    // path character traces back to pickle bytes; the walk may use a generous multiple of them and no more.
    private const long WalkNodesPerPickleByte = 4;
    private const long WalkCharsPerPickleByte = 64;
    private const long WalkAllowance = 1 << 20;

    private long _walkNodes;
    private long _walkChars;
    private long _pickleLength;

    private readonly ZipArchive _zip;
    private readonly string _prefix;
    private readonly Lock _lock = new();
    private readonly OrderedDictionary<string, TensorRef> _all = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, object?> _values = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, TensorRef> _stateDict = new(StringComparer.Ordinal);

    private readonly long _fileLength;

    private TorchCheckpoint(string path, ZipArchive zip, string prefix, long fileLength)
    {
        Location = path;
        _zip = zip;
        _prefix = prefix;
        _fileLength = fileLength;
    }

    /// <summary>The path as given.</summary>
    public string Location { get; }

    /// <summary>The top-level key that holds the state_dict, or null when the root dict is the state_dict.</summary>
    public string? StateDictKey { get; private set; }

    /// <summary>The state_dict's tensor keys, in file order (nested dicts joined with '.').</summary>
    public IReadOnlyList<string> Names => _stateDict.Keys;

    /// <summary>The root dict's keys, in file order (as strings).</summary>
    public IReadOnlyList<string> TopLevelKeys { get; private set; } = [];

    /// <summary>Every tensor in the file by dotted path from the root, e.g. <c>state_dict.fc.weight</c>,
    /// <c>optimizer.state.0.exp_avg</c>, in file order.</summary>
    public IReadOnlyList<string> AllTensorNames => _all.Keys;

    /// <summary>Every non-tensor leaf by dotted path: <see cref="string"/>, <see cref="long"/>, <see cref="double"/>,
    /// <see cref="bool"/> or null (e.g. <c>epoch</c> → 3L). Tuples and lists use their indices as path parts.</summary>
    public IReadOnlyDictionary<string, object?> Values => _values;

    /// <summary>Opens a checkpoint and decodes its pickle; tensor data is read on request.</summary>
    /// <param name="path">The <c>.pt</c>, <c>.pth</c> or <c>.bin</c> file.</param>
    /// <param name="stateDictKey">The top-level key of the state_dict in a wrapping checkpoint; null picks the root when
    /// it holds tensors, else the first of <see cref="WrapperKeys"/> (or the only dict of tensors).</param>
    /// <exception cref="CheckpointFormatException">Not a zip checkpoint (legacy or TorchScript files get a hint), a
    /// disallowed global or opcode, a missing or short storage, or no state_dict can be found.</exception>
    public static TorchCheckpoint Open(string path, string? stateDictKey = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream = File.OpenRead(path);
        try
        {
            CheckMagic(path, stream);
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
            }
            catch (InvalidDataException e)
            {
                throw new CheckpointFormatException(path, "zip directory", $"not a readable zip archive ({e.Message})",
                    "the file is truncated or corrupt; copy or download it again", e);
            }
            var checkpoint = new TorchCheckpoint(path, zip, FindPrefix(path, zip), stream.Length);
            try
            {
                checkpoint.Load(stateDictKey);
                return checkpoint;
            }
            catch
            {
                checkpoint.Dispose();
                throw;
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the state_dict of <paramref name="path"/>: every tensor, converted to float32, in file order.</summary>
    /// <remarks>Effectively computes <c>torch.load(path)</c> (or its <c>[stateDictKey]</c>) followed by
    /// <c>{k: v.float().contiguous()}</c>, without executing the pickle.</remarks>
    /// <exception cref="CheckpointFormatException">See <see cref="Open"/>.</exception>
    public static IReadOnlyDictionary<string, Tensor> Read(string path, string? stateDictKey = null)
    {
        using TorchCheckpoint checkpoint = Open(path, stateDictKey);
        return checkpoint.ReadAll();
    }

    public bool Contains(string name) => _stateDict.ContainsKey(name);

    public int[] GetShape(string name) => (int[])Find(_stateDict, name).Size.Clone();

    /// <summary>Reads one state_dict tensor as float32 (row-major, a fresh copy).</summary>
    public Tensor GetTensor(string name) => Materialize(name, Find(_stateDict, name), cache: null, mayWrap: true);

    /// <summary>Reads any tensor of the file by its dotted path from the root (see <see cref="AllTensorNames"/>).</summary>
    public Tensor GetTensorAt(string path) => Materialize(path, Find(_all, path), cache: null, mayWrap: true);

    /// <summary>Reads the whole state_dict; each storage is read once even when several tensors view it.</summary>
    public IReadOnlyDictionary<string, Tensor> ReadAll()
    {
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (TensorRef t in _stateDict.Values) uses[t.Storage.Key] = uses.GetValueOrDefault(t.Storage.Key) + 1;
        var cache = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var result = new OrderedDictionary<string, Tensor>(_stateDict.Count, StringComparer.Ordinal);
        foreach ((string name, TensorRef t) in _stateDict)
            result.Add(name, Materialize(name, t, cache, mayWrap: uses[t.Storage.Key] == 1));
        return result;
    }

    public void Dispose() => _zip.Dispose();

    // --------------------------------------------------------------------------------------------- opening

    private static void CheckMagic(string path, FileStream stream)
    {
        Span<byte> magic = stackalloc byte[4];
        int n = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        if (n >= 4 && magic[0] == 'P' && magic[1] == 'K' && (magic[2], magic[3]) is (3, 4) or (5, 6))
            return;
        if (n >= 4 && magic[0] == 0x80 && magic[2] == 0x8a && magic[3] == 0x0a)
            throw new CheckpointFormatException(path, "offset 0",
                "this is a legacy (pre-1.6, non-zip) torch.save file, which cannot be read safely", ResaveHint);
        if (n >= 1 && magic[0] == 0x80)
            throw new CheckpointFormatException(path, "offset 0", "this is a bare pickle, not a torch.save zip archive", ResaveHint);
        throw new CheckpointFormatException(path, "offset 0",
            $"not a PyTorch zip checkpoint: expected 'PK' at offset 0, found {Convert.ToHexString(magic[..n])}",
            n < 4 ? "the file is empty or truncated" : "is this a safetensors, numpy or other file?");
    }

    /// <summary>torch.save names the top folder after the file; every entry shares it.</summary>
    private static string FindPrefix(string path, ZipArchive zip)
    {
        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            entries = zip.Entries;
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(path, "zip directory", $"the zip directory is corrupt ({e.Message})", null, e);
        }
        if (entries.Count == 0) throw new CheckpointFormatException(path, "zip directory", "the archive is empty", ResaveHint);
        int slash = entries[0].FullName.IndexOf('/');
        string prefix = slash > 0 ? entries[0].FullName[..(slash + 1)] : "";
        foreach (ZipArchiveEntry e in entries)
            if (prefix.Length == 0 || !e.FullName.StartsWith(prefix, StringComparison.Ordinal))
                throw new CheckpointFormatException(path, e.FullName, "archive entries do not share one top folder",
                    "this is not a torch.save archive; " + ResaveHint);
        foreach (ZipArchiveEntry e in entries)
        {
            string rest = e.FullName[prefix.Length..];
            if (rest == "constants.pkl" || rest.StartsWith("code/", StringComparison.Ordinal))
                throw new CheckpointFormatException(path, e.FullName, "this is a TorchScript archive (torch.jit.save), not a state_dict",
                    "in Python: torch.save(torch.jit.load(path).state_dict(), 'weights.pth')");
        }
        return prefix;
    }

    private void Load(string? stateDictKey)
    {
        ZipArchiveEntry? order = _zip.GetEntry(_prefix + "byteorder");
        if (order is not null && Encoding.ASCII.GetString(ReadEntry(order, 16)).Trim() is var o && o != "little")
            throw new CheckpointFormatException(Location, order.FullName, $"byte order '{o}' is not supported", "re-save on a little-endian machine");
        string pklName = _prefix + "data.pkl";
        ZipArchiveEntry pkl = _zip.GetEntry(pklName)
            ?? throw new CheckpointFormatException(Location, pklName, "the archive has no data.pkl", ResaveHint);
        byte[] pickle = ReadEntry(pkl, MaxPickleBytes);
        _pickleLength = pickle.Length;
        object? root = MiniPickle.Load(pickle, Location, pklName);
        if (root is not PickleDict dict)
            throw new CheckpointFormatException(Location, pklName, $"the pickled object is {Describe(root)}, not a dict",
                root is TensorRef ? "save a dict: torch.save({'name': tensor}, path)" : ResaveHint);
        TopLevelKeys = dict.Items.Keys.Select(KeyString).ToList();
        Walk(dict, "", 0, new HashSet<object>(ReferenceEqualityComparer.Instance), _all, _values);
        foreach (TensorRef t in _all.Values) CheckStorage(t.Storage);
        PickleDict stateDict = SelectStateDict(dict, stateDictKey);
        Walk(stateDict, "", 0, new HashSet<object>(ReferenceEqualityComparer.Instance), _stateDict, values: null);
    }

    private PickleDict SelectStateDict(PickleDict root, string? key)
    {
        static bool HoldsTensors(PickleDict d) => d.Items.Values.Any(v => v is TensorRef);
        if (key is not null)
        {
            if (root.Items.TryGetValue(key, out object? v) && v is PickleDict d && HoldsTensors(d))
            {
                StateDictKey = key;
                return d;
            }
            throw new CheckpointFormatException(Location, key, "no dict of tensors under this top-level key",
                "top-level keys: " + string.Join(", ", TopLevelKeys));
        }
        if (HoldsTensors(root)) return root;
        var candidates = root.Items.Where(kv => kv.Key is string && kv.Value is PickleDict d && HoldsTensors(d))
            .Select(kv => (string)kv.Key).ToList();
        string? pick = WrapperKeys.FirstOrDefault(candidates.Contains) ?? (candidates.Count == 1 ? candidates[0] : null);
        if (pick is null)
            throw new CheckpointFormatException(Location, "root",
                candidates.Count == 0 ? "no state_dict: neither the root nor a top-level entry is a dict of tensors"
                : $"several top-level dicts hold tensors ({string.Join(", ", candidates)})",
                candidates.Count == 0 ? "top-level keys: " + string.Join(", ", TopLevelKeys) : "pass the key: TorchCheckpoint.Open(path, \"<key>\")");
        StateDictKey = pick;
        return (PickleDict)root.Items[pick]!;
    }

    /// <summary>Flattens nested dicts, lists and tuples into dotted paths; rejects cycles and absurd nesting.</summary>
    private void Walk(object? node, string path, int depth, HashSet<object> active,
        OrderedDictionary<string, TensorRef> tensors, OrderedDictionary<string, object?>? values)
    {
        if (depth == 0) (_walkNodes, _walkChars) = (0, 0);
        if (++_walkNodes > WalkNodesPerPickleByte * _pickleLength + WalkAllowance
            || (_walkChars += path.Length) > WalkCharsPerPickleByte * _pickleLength + WalkAllowance)
            throw new CheckpointFormatException(Location, path.Length == 0 ? "root" : path.Length > 80 ? path[..80] + "…" : path,
                $"the {_pickleLength}-byte pickle flattens to more than {WalkNodesPerPickleByte * _pickleLength + WalkAllowance} entries or "
                + $"{WalkCharsPerPickleByte * _pickleLength + WalkAllowance} key characters: it references the same nested containers over and over",
                "this is not a state_dict that torch.save writes; " + ResaveHint);
        if (depth > MaxDepth)
            throw new CheckpointFormatException(Location, path, $"nesting deeper than {MaxDepth} levels", null);
        switch (node)
        {
            case TensorRef t:
                if (!tensors.TryAdd(path, t))
                    throw new CheckpointFormatException(Location, path, "two tensors flatten to the same dotted key", null);
                return;
            case PickleDict or List<object?> or object?[]:
                if (!active.Add(node))
                    throw new CheckpointFormatException(Location, path.Length == 0 ? "root" : path, "the pickle contains a cycle", null);
                IEnumerable<KeyValuePair<object, object?>> children = node switch
                {
                    PickleDict d => d.Items,
                    List<object?> l => l.Select((v, i) => new KeyValuePair<object, object?>((long)i, v)),
                    _ => ((object?[])node).Select((v, i) => new KeyValuePair<object, object?>((long)i, v)),
                };
                foreach ((object key, object? child) in children)
                    Walk(child, path.Length == 0 ? KeyString(key) : path + "." + KeyString(key), depth + 1, active, tensors, values);
                active.Remove(node);
                return;
            default:
                if (values is null) return;
                object? leaf = node switch
                {
                    PickleGlobal g => g.FullName,
                    StorageRef s => $"storage {s.Key}",
                    _ => node,
                };
                if (!values.TryAdd(path, leaf))
                    throw new CheckpointFormatException(Location, path, "two values flatten to the same dotted key", null);
                return;
        }
    }

    private static string KeyString(object key) => key switch
    {
        string s => s,
        bool b => b ? "True" : "False",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(key, CultureInfo.InvariantCulture)!,
    };

    private void CheckStorage(StorageRef s)
    {
        string name = _prefix + "data/" + s.Key;
        ZipArchiveEntry entry = _zip.GetEntry(name)
            ?? throw new CheckpointFormatException(Location, name, $"storage '{s.Key}' ({s.TypeName}) has no data entry", "the archive is incomplete");
        int size = ElementTypes.Size(s.Type);
        if (s.Count > MaxStorageElements)
            throw new CheckpointFormatException(Location, name,
                $"{s.TypeName} of {s.Count} elements is larger than the largest supported tensor ({MaxStorageElements} elements, 8 GiB as float32)",
                "split the tensor, or load it in Python");
        CheckEntrySize(entry);
        if (entry.Length != s.Count * size)
            throw new CheckpointFormatException(Location, name,
                $"{s.TypeName} of {s.Count} elements needs {s.Count * size} bytes but the entry has {entry.Length}", "the archive is corrupt");
    }

    // ----------------------------------------------------------------------------------------------- reading

    private TensorRef Find(OrderedDictionary<string, TensorRef> map, string name) =>
        map.TryGetValue(name, out TensorRef? t) ? t
        : throw new KeyNotFoundException($"{Location}: no tensor named '{name}' (the state_dict has {map.Count} tensors).");

    private Tensor Materialize(string name, TensorRef t, Dictionary<string, float[]>? cache, bool mayWrap)
    {
        float[] storage;
        if (cache is null || !cache.TryGetValue(t.Storage.Key, out storage!))
        {
            storage = ReadStorage(name, t.Storage);
            cache?.Add(t.Storage.Key, storage);
        }
        if (mayWrap && t.CoversStorage) return Tensor.FromArray(storage, t.Size);
        return Tensor.FromArray(StridedCopy(storage, t), t.Size);
    }

    private float[] ReadStorage(string tensorName, StorageRef s)
    {
        lock (_lock)
        {
            string name = _prefix + "data/" + s.Key;
            ZipArchiveEntry entry = _zip.GetEntry(name)!;
            var data = new float[s.Count];
            try
            {
                using Stream stream = entry.Open();
                if (s.Type == ElementType.F32)
                {
                    ReadFloats(stream, data);
                    return data;
                }
                int size = ElementTypes.Size(s.Type);
                int perChunk = (1 << 20) / size;
                byte[] buffer = ArrayPool<byte>.Shared.Rent(perChunk * size);
                try
                {
                    for (int start = 0, n; start < data.Length; start += n)
                    {
                        n = Math.Min(perChunk, data.Length - start);
                        stream.ReadExactly(buffer, 0, n * size);
                        int bad = ElementTypes.ToSingle(s.Type, buffer.AsSpan(0, n * size), data.AsSpan(start, n));
                        if (bad >= 0)
                            throw new CheckpointFormatException(Location, tensorName,
                                $"{s.TypeName} element {start + bad} is larger than 2^24 in magnitude and has no exact float32 value",
                                "integer buffers such as step counters are not weights; skip this key");
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                return data;
            }
            catch (Exception e) when (e is EndOfStreamException || CorruptCompressedData.Is(e))
            {
                throw new CheckpointFormatException(Location, name, $"cannot read storage data ({e.Message})", "the archive is corrupt or truncated", e);
            }
        }
    }

    /// <summary>Reads little-endian float32s into <paramref name="data"/> in slices, so that storages past 2 GiB (whose
    /// byte length overflows a span) read like small ones.</summary>
    internal static void ReadFloats(Stream stream, float[] data, int sliceElements = 1 << 28)
    {
        for (int start = 0; start < data.Length;)
        {
            int n = Math.Min(data.Length - start, sliceElements);
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan(start, n)));
            start += n;
        }
    }

    /// <summary>Gathers a strided view into a new row-major array.</summary>
    private static float[] StridedCopy(float[] storage, TensorRef t)
    {
        var dst = new float[t.ElementCount];
        int rank = t.Size.Length;
        if (dst.Length == 0) return dst;
        if (rank == 0)
        {
            dst[0] = storage[t.Offset];
            return dst;
        }
        int inner = t.Size[rank - 1];
        long innerStride = t.Stride[rank - 1];
        var index = new int[rank];
        long start = t.Offset;
        for (int o = 0; o < dst.Length; o += inner)
        {
            if (innerStride == 1)
                Array.Copy(storage, start, dst, o, inner);
            else
                for (int j = 0; j < inner; j++) dst[o + j] = storage[start + j * innerStride];
            for (int d = rank - 2; d >= 0; d--)
            {
                start += t.Stride[d];
                if (++index[d] < t.Size[d]) break;
                start -= t.Stride[d] * t.Size[d];
                index[d] = 0;
            }
        }
        return dst;
    }

    /// <summary>Rejects entries whose declared size the file cannot back, before anything is allocated for them.</summary>
    private void CheckEntrySize(ZipArchiveEntry entry)
    {
        if (entry.CompressedLength > _fileLength || entry.Length > Math.Max(entry.CompressedLength, 1) * MaxDeflateRatio)
            throw new CheckpointFormatException(Location, entry.FullName,
                $"entry claims {entry.Length} bytes ({entry.CompressedLength} compressed) in a {_fileLength}-byte file",
                "the archive is corrupt or truncated");
    }

    private byte[] ReadEntry(ZipArchiveEntry entry, long maxBytes)
    {
        CheckEntrySize(entry);
        if (entry.Length > maxBytes)
            throw new CheckpointFormatException(Location, entry.FullName, $"entry of {entry.Length} bytes exceeds the {maxBytes}-byte limit", null);
        var bytes = new byte[entry.Length];
        try
        {
            using Stream stream = entry.Open();
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is EndOfStreamException || CorruptCompressedData.Is(e))
        {
            throw new CheckpointFormatException(Location, entry.FullName, $"cannot read the entry ({e.Message})", "the archive is corrupt or truncated", e);
        }
        return bytes;
    }
}
