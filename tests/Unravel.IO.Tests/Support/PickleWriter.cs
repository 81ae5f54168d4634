// Assembles pickle bytes opcode by opcode (CPython Lib/pickletools.py names), for hand-made state_dict pickles and
// malformed ones. Nothing here unpickles anything.

using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Unravel.IO.Tests.Support;

public sealed class PickleWriter
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public PickleWriter Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleWriter Proto(byte version = 2) => Raw(0x80, version);

    public PickleWriter Stop() => Raw((byte)'.');

    public PickleWriter Mark() => Raw((byte)'(');

    public PickleWriter Tuple() => Raw((byte)'t');

    public PickleWriter EmptyTuple() => Raw((byte)')');

    public PickleWriter EmptyDict() => Raw((byte)'}');

    public PickleWriter EmptyList() => Raw((byte)']');

    public PickleWriter SetItem() => Raw((byte)'s');

    public PickleWriter SetItems() => Raw((byte)'u');

    public PickleWriter Append() => Raw((byte)'a');

    public PickleWriter Reduce() => Raw((byte)'R');

    public PickleWriter None() => Raw((byte)'N');

    public PickleWriter Bool(bool v) => Raw(v ? (byte)0x88 : (byte)0x89);

    public PickleWriter Put(byte index) => Raw((byte)'q', index);

    public PickleWriter Get(byte index) => Raw((byte)'h', index);

    public PickleWriter Str(string s)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(s);
        var len = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, utf8.Length);
        return Raw((byte)'X').Raw(len).Raw(utf8);
    }

    public PickleWriter Int(long v)
    {
        if (v is >= 0 and < 256) return Raw((byte)'K', (byte)v);
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            return Raw((byte)'J').Raw(b);
        }
        var l = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(l, v);
        return Raw(0x8a, 8).Raw(l);
    }

    public PickleWriter Float(double v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, v);
        return Raw((byte)'G').Raw(b);
    }

    public PickleWriter Global(string module, string name) =>
        Raw((byte)'c').Raw(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));

    public PickleWriter IntTuple(params long[] values)
    {
        Mark();
        foreach (long v in values) Int(v);
        return Tuple();
    }

    /// <summary>torch._utils._rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict()), as torch.save writes it.</summary>
    public PickleWriter Tensor(string key, long storageCount, long offset, long[] size, long[] stride, string storageType = "FloatStorage")
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(storageCount).Tuple().Raw((byte)'Q');
        Int(offset).IntTuple(size).IntTuple(stride).Bool(false);
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    public byte[] ToArray() => [.. _bytes];

    /// <summary>Writes a torch.save-like zip: "{prefix}/data.pkl", "{prefix}/data/{key}" and "{prefix}/version".</summary>
    public static void WriteZip(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null,
        string prefix = "archive", IReadOnlyDictionary<string, byte[]>? extra = null)
    {
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            using Stream s = zip.CreateEntry(prefix + "/" + name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        Add("data.pkl", pickle);
        foreach ((string key, byte[] data) in storages ?? new Dictionary<string, byte[]>()) Add("data/" + key, data);
        foreach ((string name, byte[] data) in extra ?? new Dictionary<string, byte[]>()) Add(name, data);
        Add("version", "3\n"u8.ToArray());
    }

    public static byte[] Floats(params float[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
        return b;
    }
}
