// safetensors reader and writer (https://github.com/huggingface/safetensors, format per README and
// safetensors/src/tensor.rs). Layout: u64 little-endian header length N, N bytes of UTF-8 JSON
// {"<key>": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the data
// buffer; offsets are relative to the buffer, tensors are contiguous, row-major, little-endian, and together cover
// the buffer exactly. The reader validates all of that up front, then reads each tensor on request with positional
// reads (no second copy of the file in memory). The writer mirrors the reference `serialize`.

using System.Buffers;
using System.Buffers.Binary;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Unravel.IO.Internal;
using Unravel.Tensors;

namespace Unravel.IO;

/// <summary>An open safetensors file: its header, validated, and on-demand float32 tensors.</summary>
/// <remarks>Thread-safe for concurrent <see cref="GetTensor"/> calls. Dispose to close the file.</remarks>
public sealed class SafeTensors : ITensorSource
{
    /// <summary>The reference implementation's cap on the header size (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const int ChunkBytes = 1 << 20;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensors(string path, SafeFileHandle handle, long dataStart, List<SafeTensorInfo> tensors,
        Dictionary<string, string> metadata)
    {
        Location = path;
        _handle = handle;
        DataStart = dataStart;
        Tensors = tensors;
        Names = tensors.ConvertAll(t => t.Name);
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Metadata = metadata;
    }

    /// <summary>The path as given to <see cref="Read"/>.</summary>
    public string Location { get; }

    /// <summary>File offset of the data buffer (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Header entries in header order (the <c>__metadata__</c> entry excluded).</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>Tensor keys in header order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/> and validates its header against the file.</summary>
    /// <remarks>Checks the header length bounds, JSON syntax, known dtypes, that each tensor's byte length equals
    /// element count × dtype size, and that the tensors tile the data buffer without gap or overlap to its end.</remarks>
    /// <exception cref="CheckpointFormatException">Any check fails; the message names the file and key or offset.</exception>
    public static SafeTensors Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (length < 8)
                throw new CheckpointFormatException(path, "offset 0",
                    $"the file is {length} bytes; a safetensors file starts with an 8-byte header length",
                    "the file is truncated or is not a safetensors file");
            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(handle, prefix, 0, path);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeaderBytes)
                throw new CheckpointFormatException(path, "offset 0",
                    $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit", SniffHint(prefix));
            if ((long)headerLength > length - 8)
                throw new CheckpointFormatException(path, "offset 0",
                    $"header length {headerLength} runs past the end of the {length}-byte file",
                    headerLength > MaxHeaderBytes / 100 ? SniffHint(prefix) : "the file is truncated; download or copy it again");
            var header = new byte[headerLength];
            ReadExactly(handle, header, 8, path);
            long dataStart = 8 + (long)headerLength;
            (List<SafeTensorInfo> tensors, Dictionary<string, string> metadata) = ParseHeader(path, header, length - dataStart);
            return new SafeTensors(path, handle, dataStart, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that key.</exception>
    public SafeTensorInfo GetInfo(string name) =>
        _byName.TryGetValue(name, out SafeTensorInfo? info) ? info
        : throw new KeyNotFoundException($"{Location}: no tensor named '{name}' (the file has {_byName.Count} tensors).");

    public int[] GetShape(string name) => (int[])GetInfo(name).Shape.Clone();

    /// <summary>Reads one tensor and converts it to float32.</summary>
    /// <remarks>F32, F16, BF16 and F64 convert as PyTorch's <c>.float()</c>; integer and BOOL tensors convert when every
    /// value is exactly representable (|v| ≤ 2^24).</remarks>
    /// <exception cref="CheckpointFormatException">The dtype is not convertible, an integer is too large, or the file
    /// changed since it was opened.</exception>
    public Tensor GetTensor(string name)
    {
        SafeTensorInfo info = GetInfo(name);
        ElementType type = ConvertibleType(info);
        long count = info.ElementCount;
        if (count > Array.MaxLength)
            throw new CheckpointFormatException(Location, name, $"{count} elements do not fit one float32 tensor",
                "split the tensor before loading it");
        var data = new float[count];
        long offset = DataStart + info.Begin;
        if (type == ElementType.F32)
        {
            // In float slices: the byte length of a tensor past 2 GiB overflows a span.
            for (int start = 0, n; start < data.Length; start += n)
            {
                n = Math.Min(data.Length - start, 1 << 28);
                ReadExactly(_handle, MemoryMarshal.AsBytes(data.AsSpan(start, n)), offset + 4L * start, Location);
            }
        }
        else
        {
            int size = ElementTypes.Size(type);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                int perChunk = ChunkBytes / size;
                for (int start = 0, n; start < data.Length; start += n)
                {
                    n = Math.Min(perChunk, data.Length - start);
                    Span<byte> chunk = buffer.AsSpan(0, n * size);
                    ReadExactly(_handle, chunk, offset + (long)start * size, Location);
                    int bad = ElementTypes.ToSingle(type, chunk, data.AsSpan(start, n));
                    if (bad >= 0)
                        throw new CheckpointFormatException(Location, name,
                            $"{info.Dtype} element {start + bad} is larger than 2^24 in magnitude and has no exact float32 value",
                            "read integer tensors such as token ids with a dedicated integer reader, not as weights");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        return Tensor.FromArray(data, info.Shape);
    }

    /// <summary>Reads every tensor, in header order.</summary>
    public IReadOnlyDictionary<string, Tensor> ReadAll()
    {
        var all = new OrderedDictionary<string, Tensor>(Tensors.Count, StringComparer.Ordinal);
        foreach (SafeTensorInfo info in Tensors) all.Add(info.Name, GetTensor(info.Name));
        return all;
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (temporary file + rename).</summary>
    /// <remarks>Effectively computes the reference <c>serialize</c>: keys sorted (byte-wise UTF-8), compact JSON with
    /// <c>__metadata__</c> first (its keys sorted too), header padded with spaces to a multiple of 8, then the tensors'
    /// little-endian data back to back.</remarks>
    /// <exception cref="ArgumentException">A key is empty or is <c>__metadata__</c>.</exception>
    /// <exception cref="DirectoryNotFoundException">The target folder does not exist; no file is created.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafeTensorsDtype dtype = SafeTensorsDtype.F32)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new List<string>(tensors.Count);
        foreach (string name in tensors.Keys)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
                throw new ArgumentException($"SafeTensors.Write: '{name}' cannot be a tensor key.", nameof(tensors));
            names.Add(name);
        }
        names.Sort(Utf8Order);
        int size = dtype == SafeTensorsDtype.F32 ? 4 : 2;
        string dtypeName = dtype.ToString();
        byte[] header = BuildHeader(names, tensors, metadata, dtypeName, size);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (string name in names) WriteData(stream, tensors[name].Data, dtype);
        });
    }

    /// <summary>An absurd header length usually means another format; say which one.</summary>
    private static string SniffHint(ReadOnlySpan<byte> prefix) => prefix switch
    {
        [(byte)'P', (byte)'K', 3, 4, ..] => "this is a zip archive, e.g. a PyTorch .pth/.bin checkpoint; open it with TorchCheckpoint",
        [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', ..] => "this is a NumPy .npy file; read it with Npy.Read",
        [0x80, ..] => "this is a pickle, e.g. a legacy PyTorch checkpoint; re-save it with torch.save(model.state_dict(), path)",
        _ => "the file is corrupt or is not a safetensors file",
    };

    private static byte[] BuildHeader(List<string> names, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata, string dtypeName, int size)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping writes non-ASCII keys as UTF-8, as serde_json does.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(MetadataKey);
                var keys = metadata.Keys.ToList();
                keys.Sort(Utf8Order);
                foreach (string key in keys) json.WriteString(key, metadata[key]);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (string name in names)
            {
                Tensor t = tensors[name];
                long bytes = (long)t.Length * size;
                json.WriteStartObject(name);
                json.WriteString("dtype", dtypeName);
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, ReadOnlySpan<float> data, SafeTensorsDtype dtype)
    {
        const int chunk = 1 << 18;
        if (dtype == SafeTensorsDtype.F32)
        {
            for (int i = 0; i < data.Length; i += chunk)
                stream.Write(MemoryMarshal.AsBytes(data.Slice(i, Math.Min(chunk, data.Length - i))));
            return;
        }
        ushort[] buffer = ArrayPool<ushort>.Shared.Rent(chunk);
        try
        {
            for (int i = 0; i < data.Length; i += chunk)
            {
                ReadOnlySpan<float> src = data.Slice(i, Math.Min(chunk, data.Length - i));
                Span<ushort> dst = buffer.AsSpan(0, src.Length);
                if (dtype == SafeTensorsDtype.F16)
                    TensorPrimitives.ConvertToHalf(src, MemoryMarshal.Cast<ushort, Half>(dst)); // IEEE round to nearest even
                else
                    for (int j = 0; j < src.Length; j++) dst[j] = FloatToBFloat16(src[j]);
                stream.Write(MemoryMarshal.AsBytes(dst));
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(buffer);
        }
    }

    /// <summary>Round to nearest even on the dropped 16 bits; NaN stays a (quiet) NaN, as in c10::BFloat16.</summary>
    private static ushort FloatToBFloat16(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    private static int Utf8Order(string a, string b)
    {
        int c = Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
        return c;
    }

    // ---------------------------------------------------------------------------------------------- header

    private static (List<SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new CheckpointFormatException(path, "offset 8", "the JSON header does not start with '{'",
                "the file is corrupt or is not a safetensors file");
        // System.Text.Json checks string bytes only when a string is decoded; the reference checks the whole header.
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw new CheckpointFormatException(path, "offset 8 (header)", "the header is not valid UTF-8",
                "the file is corrupt or is not a safetensors file");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(path, $"offset {8 + (e.BytePositionInLine ?? 0)} (header)",
                $"the header is not valid JSON ({e.Message})", "the file is corrupt or truncated inside its header", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(path, "offset 8", "the header is not a JSON object", null);
            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(p.Name))
                    throw new CheckpointFormatException(path, p.Name, "the key appears twice in the header", null);
                if (p.Name == MetadataKey)
                    ParseMetadata(path, p.Value, metadata);
                else
                    tensors.Add(ParseEntry(path, p.Name, p.Value));
            }
            CheckLayout(path, tensors, dataLength, 8L + header.Length);
            return (tensors, metadata);
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(path, MetadataKey, $"expected an object of strings, found {value.ValueKind}", null);
        foreach (JsonProperty m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointFormatException(path, $"{MetadataKey}.{m.Name}",
                    $"metadata values must be strings, found {m.Value.ValueKind}", "store numbers as strings");
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static SafeTensorInfo ParseEntry(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(path, name, $"expected an object with dtype, shape and data_offsets, found {value.ValueKind}", null);
        if (!value.TryGetProperty("dtype", out JsonElement dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new CheckpointFormatException(path, name, "missing string field 'dtype'", null);
        string dtype = dtypeEl.GetString()!;
        if (!s_dtypeBits.TryGetValue(dtype, out int bits))
            throw new CheckpointFormatException(path, name, $"unknown dtype '{dtype}'",
                "known dtypes: " + string.Join(", ", s_dtypeBits.Keys));
        if (!value.TryGetProperty("shape", out JsonElement shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new CheckpointFormatException(path, name, "missing array field 'shape'", null);
        var shape = new int[shapeEl.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (JsonElement d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int dim) || dim < 0)
                throw new CheckpointFormatException(path, name, $"shape entry {i} ({d.GetRawText()}) is not a dimension in [0, {int.MaxValue}]", null);
            shape[i++] = dim;
            count = dim == 0 || count == 0 ? 0 : count > long.MaxValue / 64 / dim ? -1 : count * dim;
            if (count < 0)
                throw new CheckpointFormatException(path, name, $"shape {ShapeRules.Format(shape)} overflows the element count", null);
        }
        if (!value.TryGetProperty("data_offsets", out JsonElement offEl) || offEl.ValueKind != JsonValueKind.Array
            || offEl.GetArrayLength() != 2)
            throw new CheckpointFormatException(path, name, "missing field 'data_offsets' of two integers [begin, end]", null);
        long begin = OffsetValue(path, name, offEl[0]), end = OffsetValue(path, name, offEl[1]);
        if (end < begin)
            throw new CheckpointFormatException(path, name, $"data_offsets [{begin}, {end}] end before they begin", null);
        long totalBits = count * bits;
        if (totalBits % 8 != 0)
            throw new CheckpointFormatException(path, name, $"{count} {dtype} elements do not fill whole bytes", null);
        if (totalBits / 8 != end - begin)
            throw new CheckpointFormatException(path, name,
                $"shape {ShapeRules.Format(shape)} of {dtype} needs {totalBits / 8} bytes but data_offsets [{begin}, {end}] hold {end - begin}",
                "the header and the data disagree; the file is corrupt");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static long OffsetValue(string path, string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            throw new CheckpointFormatException(path, name, $"data offset {e.GetRawText()} is not a non-negative integer", null);
        return v;
    }

    /// <summary>The reference `validate`: sorted by offsets, each tensor starts where the previous ended, and the
    /// last one ends exactly at the end of the file.</summary>
    private static void CheckLayout(string path, List<SafeTensorInfo> tensors, long dataLength, long dataStart)
    {
        var sorted = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long expected = 0;
        string previous = "the start of the data buffer";
        foreach (SafeTensorInfo t in sorted)
        {
            if (t.Begin != expected)
                throw new CheckpointFormatException(path, t.Name,
                    $"data_offsets [{t.Begin}, {t.End}] {(t.Begin < expected ? "overlap" : "leave a gap after")} {previous} (which ends at {expected})",
                    "tensors must be stored back to back; the file is corrupt");
            if (t.End > dataLength)
                throw new CheckpointFormatException(path, t.Name,
                    $"data_offsets [{t.Begin}, {t.End}] run past the end of the data buffer ({dataLength} bytes, file offset {dataStart + dataLength})",
                    "the file is truncated; download or copy it again");
            expected = t.End;
            previous = $"'{t.Name}'";
        }
        if (expected != dataLength)
            throw new CheckpointFormatException(path, $"offset {dataStart + expected}",
                $"the tensors cover {expected} bytes but the data buffer has {dataLength}",
                "the file has trailing bytes or a tensor is missing from the header");
    }

    private ElementType ConvertibleType(SafeTensorInfo info) => info.Dtype switch
    {
        "F32" => ElementType.F32,
        "F16" => ElementType.F16,
        "BF16" => ElementType.BF16,
        "F64" => ElementType.F64,
        "I64" => ElementType.I64,
        "I32" => ElementType.I32,
        "I16" => ElementType.I16,
        "I8" => ElementType.I8,
        "U8" => ElementType.U8,
        "BOOL" => ElementType.Bool,
        _ => throw new CheckpointFormatException(Location, info.Name, $"dtype {info.Dtype} cannot be converted to float32",
            "supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL; re-save the tensor as F32, F16 or BF16"),
    };

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        while (!buffer.IsEmpty)
        {
            int n = RandomAccess.Read(handle, buffer, offset);
            if (n == 0)
                throw new CheckpointFormatException(path, $"offset {offset}", "unexpected end of file",
                    "the file is truncated or was changed while open");
            buffer = buffer[n..];
            offset += n;
        }
    }

    /// <summary>Bits per element of every dtype of the reference Dtype enum.</summary>
    private static readonly Dictionary<string, int> s_dtypeBits = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8, ["F4"] = 4, ["F6_E2M3"] = 6, ["F6_E3M2"] = 6, ["U8"] = 8, ["I8"] = 8, ["F8_E5M2"] = 8,
        ["F8_E4M3"] = 8, ["F8_E8M0"] = 8, ["I16"] = 16, ["U16"] = 16, ["F16"] = 16, ["BF16"] = 16, ["I32"] = 32,
        ["U32"] = 32, ["F32"] = 32, ["C64"] = 64, ["F64"] = 64, ["I64"] = 64, ["U64"] = 64,
    };
}
