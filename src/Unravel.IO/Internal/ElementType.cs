// Element types found in checkpoint and array files, and their conversion to the engine's float32.
// Files store little-endian data; the engine runs on little-endian hosts (x64, arm64).

using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Unravel.IO.Internal;

/// <summary>A stored element type that can be converted to float32.</summary>
internal enum ElementType
{
    F32,
    F16,
    BF16,
    F64,
    I64,
    I32,
    I16,
    I8,
    U8,
    Bool,
}

internal static class ElementTypes
{
    /// <summary>Integers up to 2^24 in magnitude are exactly representable as float32.</summary>
    public const long MaxExactInteger = 1L << 24;

    public static int Size(ElementType type) => type switch
    {
        ElementType.F32 or ElementType.I32 => 4,
        ElementType.F16 or ElementType.BF16 or ElementType.I16 => 2,
        ElementType.F64 or ElementType.I64 => 8,
        ElementType.I8 or ElementType.U8 or ElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool IsInteger(ElementType type) =>
        type is ElementType.I64 or ElementType.I32 or ElementType.I16 or ElementType.I8 or ElementType.U8 or ElementType.Bool;

    /// <summary>Converts <c>dst.Length</c> little-endian elements from <paramref name="src"/> to float32.</summary>
    /// <returns>The index of the first integer that float32 cannot hold exactly (|v| &gt; 2^24), or -1.</returns>
    /// <remarks>F16 and BF16 widen exactly; F64 rounds to nearest as PyTorch's <c>.float()</c> does.</remarks>
    public static int ToSingle(ElementType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        System.Diagnostics.Debug.Assert(src.Length >= dst.Length * Size(type));
        switch (type)
        {
            case ElementType.F32:
                MemoryMarshal.Cast<byte, float>(src)[..dst.Length].CopyTo(dst);
                return -1;
            case ElementType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(src)[..dst.Length], dst);
                return -1;
            case ElementType.BF16:
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16);
                return -1;
            case ElementType.F64:
                {
                    ReadOnlySpan<double> d = MemoryMarshal.Cast<byte, double>(src)[..dst.Length];
                    for (int i = 0; i < dst.Length; i++) dst[i] = (float)d[i];
                    return -1;
                }
            case ElementType.I64:
                {
                    ReadOnlySpan<long> d = MemoryMarshal.Cast<byte, long>(src)[..dst.Length];
                    for (int i = 0; i < dst.Length; i++)
                    {
                        if (d[i] > MaxExactInteger || d[i] < -MaxExactInteger) return i;
                        dst[i] = d[i];
                    }
                    return -1;
                }
            case ElementType.I32:
                {
                    ReadOnlySpan<int> d = MemoryMarshal.Cast<byte, int>(src)[..dst.Length];
                    for (int i = 0; i < dst.Length; i++)
                    {
                        if (d[i] > MaxExactInteger || d[i] < -MaxExactInteger) return i;
                        dst[i] = d[i];
                    }
                    return -1;
                }
            case ElementType.I16:
                {
                    ReadOnlySpan<short> d = MemoryMarshal.Cast<byte, short>(src)[..dst.Length];
                    for (int i = 0; i < dst.Length; i++) dst[i] = d[i];
                    return -1;
                }
            case ElementType.I8:
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i];
                return -1;
            case ElementType.U8:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                return -1;
            case ElementType.Bool:
                // PyTorch and NumPy read any non-zero byte as true.
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i] != 0 ? 1f : 0f;
                return -1;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }
}
