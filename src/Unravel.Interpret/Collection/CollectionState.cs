// The exact streaming state of a collection pass: where it stopped and every layer's accumulator. Written as a
// checkpoint while collecting (resume after a kill continues from it and ends bit-identical to an uninterrupted run)
// and as state.bin in shard atlases (`unravel merge` combines those exactly instead of re-reading rounded .npy arrays).
// Format: "UNRAVEL-STATE/2", fingerprint, next input, elapsed and forward ticks, layers (LayerStatistics.Save), then the
// SHA-256 of everything before it (32 bytes): a damaged checkpoint is refused before it is parsed, never resumed into a
// silently different atlas. Files of format 1 (no checksum: state.bin of earlier shard atlases) are still read.

using System.Security.Cryptography;

namespace Unravel.Interpret.Collection;

/// <summary>A collection pass's accumulators and progress.</summary>
/// <param name="Fingerprint">Identifies the run (model, data, layers, options, batching, range); a resume must match it.</param>
/// <param name="Next">Dataset index of the next input to collect.</param>
/// <param name="Elapsed">Collection time so far.</param>
/// <param name="ForwardTime">Forward-pass time so far.</param>
/// <param name="Layers">Accumulators in layer order.</param>
public sealed record CollectionState(string Fingerprint, int Next, TimeSpan Elapsed, TimeSpan ForwardTime, IReadOnlyList<LayerStatistics> Layers)
{
    private const string Magic = "UNRAVEL-STATE/2";
    private const string MagicUnchecked = "UNRAVEL-STATE/1";

    /// <summary>Writes <paramref name="state"/> to <paramref name="stream"/>, followed by its SHA-256.</summary>
    public static void Save(Stream stream, CollectionState state)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(state);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var hashing = new HashingStream(stream, hash))
            Write(hashing, state);
        stream.Write(hash.GetHashAndReset());
    }

    private static void Write(Stream stream, CollectionState state)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(state.Fingerprint);
        writer.Write(state.Next);
        writer.Write(state.Elapsed.Ticks);
        writer.Write(state.ForwardTime.Ticks);
        writer.Write(state.Layers.Count);
        foreach (LayerStatistics layer in state.Layers) layer.Save(writer);
    }

    /// <summary>Reads a state written by <see cref="Save"/> from a seekable stream, checking its SHA-256 before parsing it.</summary>
    /// <param name="stream">The state, positioned at its start.</param>
    /// <param name="requireChecksum">Refuse format 1 (no checksum), as a resume does.</param>
    /// <exception cref="InvalidDataException">Not a collection state, truncated, or its checksum does not match.</exception>
    public static CollectionState Load(Stream stream, bool requireChecksum = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long start = stream.Position;
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            string magic = reader.ReadString();
            if (magic == Magic) Verify(stream, start);
            else if (magic != MagicUnchecked || requireChecksum) throw new InvalidDataException($"not an Unravel collection state (no {Magic} header).");
            string fingerprint = reader.ReadString();
            int next = reader.ReadInt32();
            var elapsed = TimeSpan.FromTicks(reader.ReadInt64());
            var forward = TimeSpan.FromTicks(reader.ReadInt64());
            int count = reader.ReadInt32();
            var layers = new List<LayerStatistics>(count);
            for (int i = 0; i < count; i++) layers.Add(LayerStatistics.Load(reader));
            return new CollectionState(fingerprint, next, elapsed, forward, layers);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("collection state: the file ends early (truncated checkpoint?).", e);
        }
    }

    /// <summary>Reads the state file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Not a collection state, truncated or damaged (the message names the file).</exception>
    public static CollectionState Load(string path, bool requireChecksum = false)
    {
        using FileStream stream = File.OpenRead(path);
        try
        {
            return Load(stream, requireChecksum);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Checks the trailing SHA-256 against the bytes from <paramref name="start"/> to it, then rewinds past the header.</summary>
    private static void Verify(Stream stream, long start)
    {
        long afterMagic = stream.Position;
        long payloadEnd = stream.Length - SHA256.HashSizeInBytes;
        if (payloadEnd < afterMagic) throw new InvalidDataException("collection state: the file ends early (truncated checkpoint?).");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        stream.Position = start;
        byte[] buffer = new byte[1 << 16];
        for (long left = payloadEnd - start; left > 0;)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0) throw new InvalidDataException("collection state: the file ends early (truncated checkpoint?).");
            hash.AppendData(buffer, 0, read);
            left -= read;
        }
        byte[] recorded = new byte[SHA256.HashSizeInBytes];
        stream.ReadExactly(recorded);
        if (!CryptographicOperations.FixedTimeEquals(recorded, hash.GetHashAndReset()))
            throw new InvalidDataException("collection state: the SHA-256 checksum does not match (the file is damaged).");
        stream.Position = afterMagic;
    }

    /// <summary>Passes writes through to the inner stream and into the hash.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }
    }
}
