// Decodes ONNX TensorProto messages (inline typed fields, raw little-endian bytes, or external data files next to the
// model, as described in the ONNX IR specification's "External Tensor Data") into importer values.
// Float, double and float16 become float tensors; integer and boolean types become long values.

using System.Buffers.Binary;
using Unravel.IO;
using Unravel.Models.Onnx.Proto;

namespace Unravel.Models.Onnx;

/// <summary>Reads the values of ONNX tensors.</summary>
internal static class OnnxTensorReader
{
    /// <summary>Decodes <paramref name="proto"/>; external data is resolved against <paramref name="directory"/>.</summary>
    /// <exception cref="CheckpointFormatException">The tensor's type is unsupported, its data is missing or has the wrong
    /// length, or its external file is absent or too short.</exception>
    public static OnnxValue Read(TensorProto proto, string file, string? directory)
    {
        var type = (OnnxElementType)proto.DataType;
        string where = $"tensor '{proto.Name}'";
        int[] shape = new int[proto.Dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            long d = proto.Dims[i];
            if (d < 0 || d > int.MaxValue)
                throw new CheckpointFormatException(file, where, $"dimension {i} is {d}.", "the file is corrupt.");
            shape[i] = (int)d;
        }
        long count = 1;
        foreach (int d in shape) count *= d;
        if (count > int.MaxValue)
            throw new CheckpointFormatException(file, where, $"{count} elements exceed the engine's 2^31 limit.");
        int n = (int)count;

        ReadOnlySpan<byte> raw = proto.DataLocation == TensorProto.Types.DataLocation.External
            ? ReadExternal(proto, file, directory, where)
            : proto.RawData.Span;
        bool hasRaw = proto.DataLocation == TensorProto.Types.DataLocation.External || !proto.RawData.IsEmpty;

        switch (type)
        {
            case OnnxElementType.Float:
            {
                float[] v = new float[n];
                if (hasRaw) { CheckLength(raw, n * 4, file, where); for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]); }
                else { CheckCount(proto.FloatData.Count, n, file, where); proto.FloatData.CopyTo(v, 0); }
                return OnnxValue.Float(Tensor.FromArray(v, shape));
            }
            case OnnxElementType.Double:
            {
                float[] v = new float[n];
                if (hasRaw) { CheckLength(raw, n * 8, file, where); for (int i = 0; i < n; i++) v[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]); }
                else { CheckCount(proto.DoubleData.Count, n, file, where); for (int i = 0; i < n; i++) v[i] = (float)proto.DoubleData[i]; }
                return OnnxValue.Float(Tensor.FromArray(v, shape));
            }
            case OnnxElementType.Float16:
            {
                float[] v = new float[n];
                if (hasRaw) { CheckLength(raw, n * 2, file, where); for (int i = 0; i < n; i++) v[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..]); }
                else { CheckCount(proto.Int32Data.Count, n, file, where); for (int i = 0; i < n; i++) v[i] = (float)BitConverter.UInt16BitsToHalf((ushort)proto.Int32Data[i]); }
                return OnnxValue.Float(Tensor.FromArray(v, shape));
            }
            case OnnxElementType.BFloat16:
            {
                // bfloat16 is the upper half of a float32.
                float[] v = new float[n];
                if (hasRaw) { CheckLength(raw, n * 2, file, where); for (int i = 0; i < n; i++) v[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16); }
                else { CheckCount(proto.Int32Data.Count, n, file, where); for (int i = 0; i < n; i++) v[i] = BitConverter.Int32BitsToSingle(proto.Int32Data[i] << 16); }
                return OnnxValue.Float(Tensor.FromArray(v, shape));
            }
            case OnnxElementType.Int64 or OnnxElementType.UInt64 or OnnxElementType.UInt32:
            {
                long[] v = new long[n];
                int size = type == OnnxElementType.UInt32 ? 4 : 8;
                if (hasRaw)
                {
                    CheckLength(raw, n * size, file, where);
                    for (int i = 0; i < n; i++)
                        v[i] = size == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(raw[(4 * i)..]) : BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                }
                else if (type == OnnxElementType.Int64) { CheckCount(proto.Int64Data.Count, n, file, where); proto.Int64Data.CopyTo(v, 0); }
                else { CheckCount(proto.Uint64Data.Count, n, file, where); for (int i = 0; i < n; i++) v[i] = (long)proto.Uint64Data[i]; }
                return OnnxValue.Int(v, shape, type);
            }
            case OnnxElementType.Int32 or OnnxElementType.Int16 or OnnxElementType.Int8 or OnnxElementType.UInt8
                or OnnxElementType.UInt16 or OnnxElementType.Bool:
            {
                int size = type switch { OnnxElementType.Int32 => 4, OnnxElementType.Int16 or OnnxElementType.UInt16 => 2, _ => 1 };
                long[] v = new long[n];
                if (hasRaw)
                {
                    CheckLength(raw, n * size, file, where);
                    for (int i = 0; i < n; i++)
                        v[i] = type switch
                        {
                            OnnxElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
                            OnnxElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]),
                            OnnxElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]),
                            OnnxElementType.Int8 => (sbyte)raw[i],
                            _ => raw[i],
                        };
                }
                else { CheckCount(proto.Int32Data.Count, n, file, where); for (int i = 0; i < n; i++) v[i] = proto.Int32Data[i]; }
                return OnnxValue.Int(v, shape, type);
            }
            default:
                throw new CheckpointFormatException(file, where, $"element type {type} is not supported.",
                    "the importer reads float, double, float16, integer and boolean tensors.");
        }
    }

    private static byte[] ReadExternal(TensorProto proto, string file, string? directory, string where)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (StringStringEntryProto e in proto.ExternalData)
        {
            switch (e.Key)
            {
                case "location": location = e.Value; break;
                case "offset": offset = long.Parse(e.Value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "length": length = long.Parse(e.Value, System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
        if (location is null)
            throw new CheckpointFormatException(file, where, "external data has no 'location'.");
        if (Path.IsPathRooted(location) || location.Split('/', '\\').Contains(".."))
            throw new CheckpointFormatException(file, where, $"external data location '{location}' leaves the model's folder.",
                "external data must lie beside the .onnx file.");
        string path = Path.Combine(directory ?? ".", location);
        if (!System.IO.File.Exists(path))
            throw new CheckpointFormatException(file, where, $"external data file '{path}' does not exist.",
                "keep the data file next to the .onnx file under the name it was saved with.");
        using FileStream fs = System.IO.File.OpenRead(path);
        if (length < 0) length = fs.Length - offset;
        if (offset < 0 || offset + length > fs.Length || length > int.MaxValue)
            throw new CheckpointFormatException(path, $"offset {offset}", $"{length} bytes of '{proto.Name}' run past the end ({fs.Length} bytes).");
        byte[] bytes = new byte[length];
        fs.Position = offset;
        fs.ReadExactly(bytes);
        return bytes;
    }

    private static void CheckLength(ReadOnlySpan<byte> raw, int expected, string file, string where)
    {
        if (raw.Length != expected)
            throw new CheckpointFormatException(file, where, $"raw data has {raw.Length} bytes, the shape needs {expected}.");
    }

    private static void CheckCount(int actual, int expected, string file, string where)
    {
        if (actual != expected)
            throw new CheckpointFormatException(file, where, $"{actual} values stored, the shape needs {expected}.");
    }
}
