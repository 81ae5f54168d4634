// The exact streaming state of a collection pass: where it stopped and every layer's accumulator. Written as a
// checkpoint while collecting (resume after a kill continues from it and ends bit-identical to an uninterrupted run)
// and as state.bin in shard atlases (`unravel merge` combines those exactly instead of re-reading rounded .npy arrays).
// Format: "UNRAVEL-STATE/1", fingerprint, next input, elapsed and forward ticks, layers (LayerStatistics.Save).

namespace Unravel.Interpret.Collection;

/// <summary>A collection pass's accumulators and progress.</summary>
/// <param name="Fingerprint">Identifies the run (model, data, layers, options, batching, range); a resume must match it.</param>
/// <param name="Next">Dataset index of the next input to collect.</param>
/// <param name="Elapsed">Collection time so far.</param>
/// <param name="ForwardTime">Forward-pass time so far.</param>
/// <param name="Layers">Accumulators in layer order.</param>
public sealed record CollectionState(string Fingerprint, int Next, TimeSpan Elapsed, TimeSpan ForwardTime, IReadOnlyList<LayerStatistics> Layers)
{
    private const string Magic = "UNRAVEL-STATE/1";

    /// <summary>Writes <paramref name="state"/> to <paramref name="stream"/>.</summary>
    public static void Save(Stream stream, CollectionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(state.Fingerprint);
        writer.Write(state.Next);
        writer.Write(state.Elapsed.Ticks);
        writer.Write(state.ForwardTime.Ticks);
        writer.Write(state.Layers.Count);
        foreach (LayerStatistics layer in state.Layers) layer.Save(writer);
    }

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not a collection state, or truncated.</exception>
    public static CollectionState Load(Stream stream)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidDataException($"not an Unravel collection state (no {Magic} header).");
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
    /// <exception cref="InvalidDataException">Not a collection state, or truncated (the message names the file).</exception>
    public static CollectionState Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        try
        {
            return Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
