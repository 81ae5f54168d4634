// Per-neuron top-k of (value, input index, position) with a total order: higher value first, then lower input index.
// The order is total, so the kept set is unique: any batching, order or sharding of the same inputs gives the same table.

namespace Unravel.Interpret.Collection;

/// <summary>C independent bounded min-heaps (root = worst kept entry), stored flat as [C, k].</summary>
internal sealed class TopKTable
{
    private readonly float[] _values;
    private readonly long[] _indices;
    private readonly int[] _positions;
    private readonly int[] _counts;

    public TopKTable(int neurons, int k)
    {
        Neurons = neurons;
        K = k;
        _values = new float[neurons * k];
        _indices = new long[neurons * k];
        _positions = new int[neurons * k];
        _counts = new int[neurons];
    }

    public int Neurons { get; }

    public int K { get; }

    public int CountOf(int neuron) => _counts[neuron];

    /// <summary>True when (va, ia) ranks strictly better than (vb, ib).</summary>
    private static bool Better(float va, long ia, float vb, long ib) => va > vb || (va == vb && ia < ib);

    /// <summary>Offers one finite entry to a neuron's table. Not thread-safe per neuron; distinct neurons may be offered in parallel.</summary>
    public void Offer(int neuron, float value, long index, int position)
    {
        if (K == 0) return;
        int b = neuron * K;
        int n = _counts[neuron];
        if (n < K)
        {
            int i = n;
            _counts[neuron] = n + 1;
            // Sift up: the parent must be worse than (or equal to) the child.
            while (i > 0)
            {
                int parent = (i - 1) / 2;
                if (!Better(_values[b + parent], _indices[b + parent], value, index)) break;
                Set(b + i, b + parent);
                i = parent;
            }
            _values[b + i] = value; _indices[b + i] = index; _positions[b + i] = position;
            return;
        }
        if (!Better(value, index, _values[b], _indices[b])) return;
        int j = 0;
        while (true)
        {
            int l = 2 * j + 1, r = l + 1, worst = j;
            float wv = value; long wi = index;
            if (l < K && Better(wv, wi, _values[b + l], _indices[b + l])) { worst = l; wv = _values[b + l]; wi = _indices[b + l]; }
            if (r < K && Better(wv, wi, _values[b + r], _indices[b + r])) worst = r;
            if (worst == j) break;
            Set(b + j, b + worst);
            j = worst;
        }
        _values[b + j] = value; _indices[b + j] = index; _positions[b + j] = position;
    }

    private void Set(int to, int from)
    {
        _values[to] = _values[from]; _indices[to] = _indices[from]; _positions[to] = _positions[from];
    }

    /// <summary>Adds every entry of <paramref name="other"/> (same shape).</summary>
    public void Merge(TopKTable other)
    {
        if (other.Neurons != Neurons || other.K != K)
            throw new ArgumentException($"top-k merge: [{other.Neurons}, {other.K}] does not match [{Neurons}, {K}].", nameof(other));
        for (int c = 0; c < Neurons; c++)
            for (int s = 0; s < other._counts[c]; s++)
                Offer(c, other._values[c * K + s], other._indices[c * K + s], other._positions[c * K + s]);
    }

    /// <summary>The tables sorted best-first as [k, C] arrays (row 0 = best, as CRP stores them); empty slots hold
    /// index -1, position -1 and value NaN.</summary>
    public (float[] Values, long[] Indices, int[] Positions) ToSortedArrays()
    {
        var values = new float[K * Neurons];
        var indices = new long[K * Neurons];
        var positions = new int[K * Neurons];
        Array.Fill(values, float.NaN);
        Array.Fill(indices, -1L);
        Array.Fill(positions, -1);
        var order = new int[K];
        for (int c = 0; c < Neurons; c++)
        {
            int b = c * K, n = _counts[c];
            for (int s = 0; s < n; s++) order[s] = s;
            Array.Sort(order, 0, n, Comparer<int>.Create((x, y) =>
                Better(_values[b + x], _indices[b + x], _values[b + y], _indices[b + y]) ? -1
                : Better(_values[b + y], _indices[b + y], _values[b + x], _indices[b + x]) ? 1 : 0));
            for (int r = 0; r < n; r++)
            {
                values[r * Neurons + c] = _values[b + order[r]];
                indices[r * Neurons + c] = _indices[b + order[r]];
                positions[r * Neurons + c] = _positions[b + order[r]];
            }
        }
        return (values, indices, positions);
    }

    /// <summary>Writes the heaps exactly as they are (the layout matters: it decides later evictions only through the
    /// total order, but an exact copy keeps a resumed run bit-identical without relying on that).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Neurons);
        writer.Write(K);
        StateIO.Write(writer, _values);
        StateIO.Write(writer, _indices);
        StateIO.Write(writer, _positions);
        StateIO.Write(writer, _counts);
    }

    /// <summary>Reads a table written by <see cref="Save"/>.</summary>
    public static TopKTable Load(BinaryReader reader)
    {
        var t = new TopKTable(reader.ReadInt32(), reader.ReadInt32());
        t.ReadArrays(reader);
        return t;
    }

    /// <summary>Overwrites this table with one written by <see cref="Save"/> of the same shape.</summary>
    /// <exception cref="InvalidDataException">The shape differs.</exception>
    public void LoadFrom(BinaryReader reader)
    {
        int neurons = reader.ReadInt32(), k = reader.ReadInt32();
        if (neurons != Neurons || k != K) throw new InvalidDataException($"collection state: top-k table [{neurons}, {k}] where [{Neurons}, {K}] was expected.");
        ReadArrays(reader);
    }

    private void ReadArrays(BinaryReader reader)
    {
        StateIO.Read(reader, _values);
        StateIO.Read(reader, _indices);
        StateIO.Read(reader, _positions);
        StateIO.Read(reader, _counts);
    }
}
