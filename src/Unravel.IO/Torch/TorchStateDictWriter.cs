// Writes a state_dict in torch.save's zip format, so torch.load(path) returns an OrderedDict of float32 tensors:
// `archive/data.pkl` (a protocol-2 pickle of OrderedDict{key: torch._utils._rebuild_tensor_v2(storage, 0, size, stride,
// False, OrderedDict())}, each storage a persistent id ('storage', torch.FloatStorage, '<n>', 'cpu', numel)),
// `archive/data/<n>` (the raw little-endian float32 values) and `archive/version` ("3"). Only the globals that
// MiniPickle's allow-list reads back are written.
// Reference: torch/serialization.py (_save), torch/_utils.py (_rebuild_tensor_v2), CPython Lib/pickletools.py.

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Unravel.Tensors;

namespace Unravel.IO;

/// <summary>Saves tensors as a PyTorch <c>.pth</c> state_dict.</summary>
public static class TorchStateDictWriter
{
    /// <summary>Writes <paramref name="tensors"/> (in the given order) to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ArgumentException">A key is empty.</exception>
    /// <exception cref="IOException">The file cannot be written or would exceed 4 GiB.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        List<KeyValuePair<string, Tensor>> list = tensors.ToList();
        AtomicFile.Write(path, stream => Write(stream, list));
    }

    /// <summary>Writes the archive to a seekable-position stream (a file or memory stream).</summary>
    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var zip = new StoredZipWriter(stream);
        zip.Add("archive/data.pkl", Pickle(tensors));
        for (int i = 0; i < tensors.Count; i++)
        {
            ReadOnlySpan<float> data = tensors[i].Value.Data;
            byte[] bytes = new byte[data.Length * sizeof(float)];
            if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(data).CopyTo(bytes);
            else for (int j = 0; j < data.Length; j++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * 4), data[j]);
            zip.Add($"archive/data/{i}", bytes);
        }
        zip.Add("archive/version", "3\n"u8);
        zip.Finish();
    }

    private static byte[] Pickle(IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        using var ms = new MemoryStream();
        ms.Write([0x80, 2]); // PROTO 2
        Global(ms, "collections", "OrderedDict");
        ms.WriteByte((byte)')'); // EMPTY_TUPLE
        ms.WriteByte((byte)'R'); // REDUCE
        ms.WriteByte((byte)'('); // MARK
        for (int i = 0; i < tensors.Count; i++)
        {
            (string key, Tensor t) = (tensors[i].Key, tensors[i].Value);
            if (string.IsNullOrEmpty(key)) throw new ArgumentException($"torch writer: tensor {i} has an empty key.", nameof(tensors));
            Unicode(ms, key);
            Global(ms, "torch._utils", "_rebuild_tensor_v2");
            ms.WriteByte((byte)'('); // MARK: the argument tuple
            ms.WriteByte((byte)'(');  // MARK: the persistent id
            Unicode(ms, "storage");
            Global(ms, "torch", "FloatStorage");
            Unicode(ms, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Unicode(ms, "cpu");
            Int(ms, t.Length);
            ms.WriteByte((byte)'t'); // TUPLE
            ms.WriteByte((byte)'Q'); // BINPERSID
            Int(ms, 0);              // storage offset
            ReadOnlySpan<int> shape = t.Shape;
            ms.WriteByte((byte)'(');
            foreach (int d in shape) Int(ms, d);
            ms.WriteByte((byte)'t');
            ms.WriteByte((byte)'(');
            long stride = 1;
            var strides = new long[shape.Length];
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= shape[d];
            }
            foreach (long s in strides) Int(ms, s);
            ms.WriteByte((byte)'t');
            ms.WriteByte(0x89); // NEWFALSE: requires_grad
            Global(ms, "collections", "OrderedDict");
            ms.WriteByte((byte)')');
            ms.WriteByte((byte)'R'); // backward hooks: OrderedDict()
            ms.WriteByte((byte)'t');
            ms.WriteByte((byte)'R');
        }
        ms.WriteByte((byte)'u'); // SETITEMS
        ms.WriteByte((byte)'.'); // STOP
        return ms.ToArray();
    }

    private static void Global(Stream s, string module, string name) => s.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));

    private static void Unicode(Stream s, string text)
    {
        byte[] b = Encoding.UTF8.GetBytes(text);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)b.Length);
        s.WriteByte((byte)'X');
        s.Write(len);
        s.Write(b);
    }

    private static void Int(Stream s, long v)
    {
        Span<byte> b = stackalloc byte[8];
        if (v is >= 0 and <= int.MaxValue)
        {
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            s.WriteByte((byte)'J'); // BININT
            s.Write(b[..4]);
            return;
        }
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        s.WriteByte(0x8a); // LONG1
        s.WriteByte(8);
        s.Write(b);
    }
}
