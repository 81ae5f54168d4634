// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html): the magic "\x93NUMPY",
// a version (1.0: u16 header length; 2.0 and 3.0: u32), an ASCII (3.0: UTF-8) Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and '\n', then the raw data.
// The writer reproduces numpy 1.24's `_write_array_header` byte for byte (sorted keys, 21-digit growth space,
// 64-byte alignment), so files compare equal to np.save's.

using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Unravel.IO.Internal;
using Unravel.Tensors;

namespace Unravel.IO;

/// <summary>Reads and writes NumPy <c>.npy</c> arrays.</summary>
public static class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int ArrayAlign = 64;
    private const int GrowthAxisMaxDigits = 21;
    private const int MaxHeaderBytes = 10_000; // numpy's _MAX_HEADER_SIZE for safe loading

    /// <summary>Reads a C-order array of <c>&lt;f4</c>, <c>&lt;f2</c>, <c>&lt;f8</c>, <c>&lt;i4</c>, <c>&lt;i8</c>,
    /// <c>&lt;i2</c>, <c>|i1</c>, <c>|u1</c> or <c>|b1</c> as a float32 tensor.</summary>
    /// <remarks>Effectively computes <c>np.load(path).astype(np.float32)</c>; integers must be exact in float32
    /// (|v| ≤ 2^24).</remarks>
    /// <exception cref="CheckpointFormatException">Bad magic, version, header, dtype, Fortran order, or data length.</exception>
    public static Tensor Read(string path)
    {
        (ElementType type, string descr, int[] shape, byte[] data) = ReadRaw(path);
        var values = new float[data.Length / ElementTypes.Size(type)];
        int bad = ElementTypes.ToSingle(type, data, values);
        if (bad >= 0)
            throw new CheckpointFormatException(path, $"element {bad}", $"{descr} value has no exact float32 value (|v| > 2^24)",
                "read it with Npy.ReadInt64");
        return Tensor.FromArray(values, shape);
    }

    /// <summary>Reads an integer array (<c>&lt;i4</c>, <c>&lt;i8</c>, <c>&lt;i2</c>, <c>|i1</c>, <c>|u1</c>, <c>|b1</c>) as int32.</summary>
    /// <exception cref="CheckpointFormatException">Not an integer array, or a value outside the int32 range.</exception>
    public static (int[] Data, int[] Shape) ReadInt32(string path)
    {
        (long[] wide, int[] shape) = ReadInt64(path);
        var data = new int[wide.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            if (wide[i] is > int.MaxValue or < int.MinValue)
                throw new CheckpointFormatException(path, $"element {i}", $"value {wide[i]} does not fit int32", "read it with Npy.ReadInt64");
            data[i] = (int)wide[i];
        }
        return (data, shape);
    }

    /// <summary>Reads an integer array (<c>&lt;i8</c>, <c>&lt;i4</c>, <c>&lt;i2</c>, <c>|i1</c>, <c>|u1</c>, <c>|b1</c>) as int64.</summary>
    /// <exception cref="CheckpointFormatException">Not an integer array, or a malformed file.</exception>
    public static (long[] Data, int[] Shape) ReadInt64(string path)
    {
        (ElementType type, string descr, int[] shape, byte[] raw) = ReadRaw(path);
        var data = new long[raw.Length / ElementTypes.Size(type)];
        switch (type)
        {
            case ElementType.I64: MemoryMarshal.Cast<byte, long>(raw).CopyTo(data); break;
            case ElementType.I32: for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(4 * i)); break;
            case ElementType.I16: for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadInt16LittleEndian(raw.AsSpan(2 * i)); break;
            case ElementType.I8: for (int i = 0; i < data.Length; i++) data[i] = (sbyte)raw[i]; break;
            case ElementType.U8: for (int i = 0; i < data.Length; i++) data[i] = raw[i]; break;
            case ElementType.Bool: for (int i = 0; i < data.Length; i++) data[i] = raw[i] != 0 ? 1 : 0; break;
            default:
                throw new CheckpointFormatException(path, "header 'descr'", $"dtype '{descr}' is not an integer type", "read it with Npy.Read");
        }
        return (data, shape);
    }

    /// <summary>Writes <paramref name="tensor"/> as a C-order <c>&lt;f4</c> array, atomically (temporary file + rename).</summary>
    /// <remarks>Byte-identical to <c>np.save(path, array.astype('&lt;f4'))</c> with NumPy 1.24.</remarks>
    /// <exception cref="DirectoryNotFoundException">The target folder does not exist; no file is created.</exception>
    public static void Write(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        WriteRaw(path, "<f4", tensor.Shape.ToArray(), stream =>
        {
            // Chunks keep each byte span under 2 GB.
            ReadOnlySpan<float> data = tensor.Data;
            for (int i = 0; i < data.Length; i += 1 << 26)
                stream.Write(MemoryMarshal.AsBytes(data.Slice(i, Math.Min(1 << 26, data.Length - i))));
        });
    }

    /// <summary>Writes an <c>&lt;i4</c> array (e.g. token ids, labels), atomically.</summary>
    /// <exception cref="ArgumentException">The shape's element count differs from <paramref name="data"/>'s length.</exception>
    public static void WriteInt32(string path, int[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape("Npy.WriteInt32", data.Length, shape);
        WriteRaw(path, "<i4", shape, stream => stream.Write(MemoryMarshal.AsBytes(data.AsSpan())));
    }

    /// <summary>Writes an <c>&lt;i8</c> array, atomically.</summary>
    /// <exception cref="ArgumentException">The shape's element count differs from <paramref name="data"/>'s length.</exception>
    public static void WriteInt64(string path, long[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape("Npy.WriteInt64", data.Length, shape);
        WriteRaw(path, "<i8", shape, stream => stream.Write(MemoryMarshal.AsBytes(data.AsSpan())));
    }

    private static void CheckShape(string op, int length, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"{op}: negative dimension in shape {ShapeRules.Format(shape)}.", nameof(shape));
            n *= d;
        }
        if (n != length)
            throw new ArgumentException($"{op}: {length} values cannot fill shape {ShapeRules.Format(shape)}.", nameof(shape));
    }

    // ------------------------------------------------------------------------------------------------ writing

    private static void WriteRaw(string path, string descr, int[] shape, Action<Stream> writeData)
    {
        byte[] header = BuildHeader(descr, shape);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            writeData(stream);
        });
    }

    /// <summary>numpy.lib.format._write_array_header + _wrap_header for version 1.0 (2.0 when the header is too long).</summary>
    internal static byte[] BuildHeader(string descr, int[] shape)
    {
        string shapeText = shape.Length switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape) + ")",
        };
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}");
        if (shape.Length > 0) sb.Append(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        byte[] text = Encoding.ASCII.GetBytes(sb.ToString());
        int hlen = text.Length + 1;
        // numpy pads a full 64 bytes when already aligned, and falls back to 2.0 when 1.0's u16 cannot hold the length.
        bool v1 = hlen + ArrayAlign - (Magic.Length + 4 + hlen) % ArrayAlign <= ushort.MaxValue;
        int prefix = Magic.Length + 2 + (v1 ? 2 : 4);
        int pad = ArrayAlign - (prefix + hlen) % ArrayAlign;
        var header = new byte[prefix + hlen + pad];
        Magic.CopyTo(header);
        header[6] = v1 ? (byte)1 : (byte)2;
        header[7] = 0;
        if (v1) BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)(hlen + pad));
        else BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)(hlen + pad));
        text.CopyTo(header, prefix);
        header.AsSpan(prefix + text.Length, pad).Fill((byte)' ');
        header[^1] = (byte)'\n';
        return header;
    }

    // ------------------------------------------------------------------------------------------------ reading

    private static (ElementType Type, string Descr, int[] Shape, byte[] Data) ReadRaw(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        long length = stream.Length;
        Span<byte> pre = stackalloc byte[12];
        int got = stream.ReadAtLeast(pre, 10, throwOnEndOfStream: false);
        if (got < 10 || !pre[..6].SequenceEqual(Magic))
            throw new CheckpointFormatException(path, "offset 0", got < 6 ? $"the file is {length} bytes, too short for an .npy header"
                : "missing the .npy magic \\x93NUMPY", "is this a NumPy .npy file? (.npz archives are not supported)");
        byte major = pre[6], minor = pre[7];
        if (major is not (1 or 2 or 3) || minor != 0)
            throw new CheckpointFormatException(path, "offset 6", $"format version {major}.{minor} is not supported (1.0, 2.0, 3.0)", null);
        int lenBytes = major == 1 ? 2 : 4;
        if (got < 8 + lenBytes)
            throw new CheckpointFormatException(path, "offset 8", "the file ends inside the header length", "the file is truncated");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(pre[8..]);
        long dataStart = 8 + lenBytes + headerLength;
        if (headerLength > MaxHeaderBytes)
            throw new CheckpointFormatException(path, "offset 8", $"header length {headerLength} exceeds {MaxHeaderBytes} bytes", null);
        if (dataStart > length)
            throw new CheckpointFormatException(path, "offset 8", $"header length {headerLength} runs past the end of the {length}-byte file", "the file is truncated");
        var headerBytes = new byte[headerLength];
        stream.Position = 8 + lenBytes;
        stream.ReadExactly(headerBytes);
        string header;
        try
        {
            header = (major == 3 ? new UTF8Encoding(false, true) : Encoding.Latin1).GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw new CheckpointFormatException(path, $"offset {8 + lenBytes}", "the header is not valid UTF-8", null);
        }
        (string descr, bool fortran, int[] shape) = NpyHeader.Parse(path, header, 8 + lenBytes);
        if (fortran)
            throw new CheckpointFormatException(path, "header 'fortran_order'", "Fortran-order arrays are not supported",
                "save a C-order copy: np.save(path, np.ascontiguousarray(a))");
        ElementType type = descr switch
        {
            "<f4" => ElementType.F32,
            "<f2" => ElementType.F16,
            "<f8" => ElementType.F64,
            "<i8" => ElementType.I64,
            "<i4" => ElementType.I32,
            "<i2" => ElementType.I16,
            "|i1" => ElementType.I8,
            "|u1" => ElementType.U8,
            "|b1" => ElementType.Bool,
            _ => throw new CheckpointFormatException(path, "header 'descr'", $"dtype '{descr}' is not supported",
                descr.StartsWith('>') ? "the array is big-endian; save a.astype(a.dtype.newbyteorder('<'))"
                : "supported: <f4 <f2 <f8 <i8 <i4 <i2 |i1 |u1 |b1"),
        };
        long count = 1;
        foreach (int d in shape) count = d == 0 || count == 0 ? 0 : count > long.MaxValue / 16 / d ? long.MaxValue / 16 : count * d;
        long bytes = count * ElementTypes.Size(type);
        if (count > Array.MaxLength || bytes > Array.MaxLength)
            throw new CheckpointFormatException(path, "header 'shape'", $"shape {ShapeRules.Format(shape)} is too large to load ({bytes} bytes; at most {Array.MaxLength})",
                "the .npy reader holds the file's data in one array of at most 2 GiB; save smaller arrays");
        if (length - dataStart != bytes)
            throw new CheckpointFormatException(path, $"offset {dataStart}",
                $"shape {ShapeRules.Format(shape)} of {descr} needs {bytes} data bytes but the file has {length - dataStart}",
                length - dataStart < bytes ? "the file is truncated" : "the file has trailing bytes");
        var data = new byte[bytes];
        stream.ReadExactly(data);
        return (type, descr, shape, data);
    }
}
