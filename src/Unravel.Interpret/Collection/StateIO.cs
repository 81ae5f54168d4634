// Raw little-endian array I/O for the collection state (checkpoints and shard states): length-prefixed, bit-exact.

using System.Runtime.InteropServices;

namespace Unravel.Interpret.Collection;

/// <summary>Writes and reads unmanaged arrays as their raw bytes with a length prefix.</summary>
internal static class StateIO
{
    public static void Write<T>(BinaryWriter writer, ReadOnlySpan<T> data) where T : unmanaged
    {
        writer.Write(data.Length);
        writer.Write(MemoryMarshal.AsBytes(data));
    }

    public static void Write<T>(BinaryWriter writer, T[] data) where T : unmanaged => Write(writer, (ReadOnlySpan<T>)data);

    /// <summary>Reads into an array of known length.</summary>
    /// <exception cref="InvalidDataException">The stored length differs.</exception>
    public static void Read<T>(BinaryReader reader, T[] into) where T : unmanaged
    {
        int n = reader.ReadInt32();
        if (n != into.Length) throw new InvalidDataException($"collection state: array of {n} values where {into.Length} were expected.");
        Fill(reader, into);
    }

    /// <summary>Reads a length-prefixed array.</summary>
    public static T[] Read<T>(BinaryReader reader) where T : unmanaged
    {
        int n = reader.ReadInt32();
        if (n < 0) throw new InvalidDataException($"collection state: negative array length {n}.");
        var data = new T[n];
        Fill(reader, data);
        return data;
    }

    private static void Fill<T>(BinaryReader reader, T[] into) where T : unmanaged
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(into.AsSpan());
        try
        {
            // BinaryReader reads primitives without reading ahead, so the raw bytes follow on the base stream.
            reader.BaseStream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("collection state: the file ends early (truncated checkpoint?).", e);
        }
    }
}
