// Streaming, mergeable accumulator of each neuron's characteristic examples (A. Foote 2024, "Tackling Polysemanticity
// with Neuron Embeddings", arXiv 2411.08166, §4.1.1): the first N inputs in corpus order whose maximum activation
// reaches ratio × the neuron's maximum, with the position of that maximum (the key token). The threshold depends on the
// final maximum, so one pass keeps every candidate that could still be among the answer, which is the set
//   { e : v_e ≥ ratio · M  and  fewer than N earlier inputs have a value ≥ v_e }   (M = the maximum so far, M > 0):
// an input with N earlier inputs at least as strong is never needed, whatever the final threshold (they qualify
// whenever it does, and precede it). Because the set is defined by the inputs alone, a pass over shards followed by
// Merge holds exactly what one pass holds. In practice it is small (for inputs in random order its expected size
// grows like N·ln(inputs/N)); a hard per-neuron capacity bounds it, and when it drops candidates the result records
// whether the answer could have changed. The top-k rule is kept as an option (TopKTable, also mergeable).

using System.Runtime.InteropServices;
using Unravel.Interpret.Collection;
using Unravel.Tensors;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Accumulates the characteristic examples of every neuron of one layer over batches of activations.</summary>
public sealed class CharacteristicExamples
{
    private readonly CharacteristicExampleOptions _options;
    private readonly List<CharacteristicExample>[]? _candidates;
    private readonly TopKTable? _top;
    private readonly float[] _max;
    private readonly float[] _floor;
    private long _inputs;

    /// <summary>Creates an empty accumulator for <paramref name="neurons"/> neurons.</summary>
    /// <exception cref="ArgumentException">Invalid options or neuron count.</exception>
    public CharacteristicExamples(int neurons, CharacteristicExampleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (neurons < 1) throw new ArgumentException($"neuron examples: {neurons} neurons; need at least 1.", nameof(neurons));
        if (options.Count < 1 || !(options.Ratio > 0 && options.Ratio <= 1) || options.Capacity < options.Count || !Enum.IsDefined(options.Selection))
            throw new ArgumentException($"neuron examples: invalid options {options} (need Count ≥ 1, 0 < Ratio ≤ 1, Capacity ≥ Count).", nameof(options));
        _options = options;
        Neurons = neurons;
        _max = new float[neurons];
        Array.Fill(_max, float.NegativeInfinity);
        _floor = new float[neurons];
        Array.Fill(_floor, float.NegativeInfinity);
        if (options.Selection == ExampleSelection.TopK) _top = new TopKTable(neurons, options.Count);
        else
        {
            _candidates = new List<CharacteristicExample>[neurons];
            for (int i = 0; i < neurons; i++) _candidates[i] = [];
        }
    }

    /// <summary>F.</summary>
    public int Neurons { get; }

    /// <summary>The options this accumulator was made with.</summary>
    public CharacteristicExampleOptions Options => _options;

    /// <summary>Inputs seen so far.</summary>
    public long Inputs => _inputs;

    /// <summary>Candidates held for <paramref name="neuron"/> (memory in use; the threshold rule only).</summary>
    public int CandidateCount(int neuron) => _candidates?[neuron].Count ?? _top!.CountOf(neuron);

    /// <summary>Adds a batch of activations of inputs <paramref name="firstIndex"/> … firstIndex + B − 1, in order.</summary>
    /// <param name="activations">[B, T, F] (tokens: neurons last), or [B, F, …] (channels first, e.g. [B, C, H, W]).</param>
    /// <param name="firstIndex">Dataset index of the first input; batches must come in increasing index order.</param>
    /// <exception cref="ArgumentException">The neuron axis does not have <see cref="Neurons"/> entries.</exception>
    public void Update(Tensor activations, long firstIndex)
    {
        ArgumentNullException.ThrowIfNull(activations);
        bool channelsLast = activations.Rank == 3;
        int f = channelsLast ? activations.Dim(2) : activations.Rank >= 2 ? activations.Dim(1) : -1;
        if (f != Neurons)
            throw new ArgumentException($"neuron examples: activation {activations.ShapeString} has no neuron axis of {Neurons} ([B, T, F] or [B, F, …]).", nameof(activations));
        int b = activations.Dim(0);
        int positions = activations.Length / Math.Max(1, b * f);
        float[] data = activations.ToArray();
        Parallelism.For(Neurons, Math.Max(1, 4096 / Math.Max(1, b * positions)), (start, end) =>
        {
            for (int j = start; j < end; j++)
                for (int i = 0; i < b; i++)
                {
                    int baseOffset = channelsLast ? i * positions * f + j : (i * f + j) * positions;
                    int stride = channelsLast ? f : 1;
                    float best = float.NegativeInfinity;
                    int at = -1;
                    for (int t = 0, o = baseOffset; t < positions; t++, o += stride)
                    {
                        float v = data[o];
                        if (v > best) { best = v; at = t; }   // first maximal position; NaN never wins
                    }
                    if (at >= 0) Offer(j, new CharacteristicExample(firstIndex + i, at, best));
                }
        });
        _inputs += b;
    }

    /// <summary>Offers one input's maximum to a neuron. Inputs must come in increasing index order per neuron.
    /// Not thread-safe per neuron.</summary>
    internal void Offer(int neuron, CharacteristicExample e)
    {
        if (_top is not null)
        {
            _top.Offer(neuron, e.Activation, e.Input, e.Position);
            if (e.Activation > _max[neuron]) _max[neuron] = e.Activation;
            return;
        }
        List<CharacteristicExample> list = _candidates![neuron];
        if (e.Activation > _max[neuron])
        {
            _max[neuron] = e.Activation;
            // Removing values under the new threshold never changes who dominates whom among the rest.
            float tau = Threshold(neuron);
            list.RemoveAll(c => !(c.Activation >= tau));
        }
        if (!(e.Activation >= Threshold(neuron))) return;
        int stronger = 0;
        foreach (CharacteristicExample c in list)
            if (c.Activation >= e.Activation && ++stronger >= _options.Count) return;
        list.Add(e);
        if (list.Count > _options.Capacity) DropLowest(neuron);
    }

    /// <summary>ratio · M, or +∞ while the maximum is not positive (no input of a dead neuron qualifies).</summary>
    private float Threshold(int neuron) => _max[neuron] > 0 ? _options.Ratio * _max[neuron] : float.PositiveInfinity;

    private void DropLowest(int neuron)
    {
        List<CharacteristicExample> list = _candidates![neuron];
        int worst = 0;
        for (int i = 1; i < list.Count; i++)
            if (list[i].Activation <= list[worst].Activation) worst = i;   // ties: the latest input
        _floor[neuron] = Math.Max(_floor[neuron], list[worst].Activation);
        list.RemoveAt(worst);
    }

    /// <summary>Adds the state of <paramref name="other"/>, which saw other inputs (e.g. another shard), in any order.</summary>
    /// <remarks>Effectively computes the state one pass over both sets of inputs would hold (exactly, as long as no
    /// capacity drop happened).</remarks>
    /// <exception cref="ArgumentException">The shapes or options differ.</exception>
    public void Merge(CharacteristicExamples other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Neurons != Neurons || other._options != _options)
            throw new ArgumentException($"neuron examples: cannot merge {other.Neurons} neurons {other._options} into {Neurons} neurons {_options}.", nameof(other));
        _inputs += other._inputs;
        for (int j = 0; j < Neurons; j++)
        {
            _floor[j] = Math.Max(_floor[j], other._floor[j]);
            if (_top is not null)
            {
                _max[j] = Math.Max(_max[j], other._max[j]);
                continue;
            }
            List<CharacteristicExample> all = [.. _candidates![j], .. other._candidates![j]];
            all.Sort((a, b) => a.Input.CompareTo(b.Input));
            // Replaying the union in index order under the final maximum gives the one-pass set.
            _max[j] = Math.Max(_max[j], other._max[j]);
            _candidates[j].Clear();
            foreach (CharacteristicExample e in all) Offer(j, e);
        }
        _top?.Merge(other._top!);
    }

    /// <summary>The examples of every neuron.</summary>
    public CharacteristicExampleSet ToResult()
    {
        var examples = new CharacteristicExample[Neurons][];
        var exact = new bool[Neurons];
        if (_top is not null)
        {
            (float[] values, long[] indices, int[] positions) = _top.ToSortedArrays();
            for (int j = 0; j < Neurons; j++)
            {
                int n = _top.CountOf(j);
                examples[j] = new CharacteristicExample[n];
                for (int r = 0; r < n; r++)
                    examples[j][r] = new CharacteristicExample(indices[r * Neurons + j], positions[r * Neurons + j], values[r * Neurons + j]);
                exact[j] = true;
            }
        }
        else
        {
            for (int j = 0; j < Neurons; j++)
            {
                float tau = Threshold(j);
                examples[j] = _candidates![j].Where(c => c.Activation >= tau).Take(_options.Count).ToArray();
                exact[j] = _floor[j] < tau;
            }
        }
        return new CharacteristicExampleSet(_options.Selection, _options.Count, _options.Ratio, _inputs, (float[])_max.Clone(), examples, exact);
    }

    /// <summary>Writes the exact state (for checkpoints and shard states).</summary>
    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Neurons);
        writer.Write((int)_options.Selection);
        writer.Write(_options.Count);
        writer.Write(_options.Ratio);
        writer.Write(_options.Capacity);
        writer.Write(_inputs);
        StateIO.Write(writer, _max);
        StateIO.Write(writer, _floor);
        if (_top is not null) _top.Save(writer);
        else
            foreach (List<CharacteristicExample> list in _candidates!)
                StateIO.Write(writer, CollectionsMarshal.AsSpan(list));
    }

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The data is damaged.</exception>
    public static CharacteristicExamples Load(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int neurons = reader.ReadInt32();
        var options = new CharacteristicExampleOptions
        {
            Selection = (ExampleSelection)reader.ReadInt32(), Count = reader.ReadInt32(), Ratio = reader.ReadSingle(), Capacity = reader.ReadInt32(),
        };
        CharacteristicExamples state;
        try { state = new CharacteristicExamples(neurons, options); }
        catch (ArgumentException e) { throw new InvalidDataException($"neuron examples state: {e.Message}", e); }
        state._inputs = reader.ReadInt64();
        StateIO.Read(reader, state._max);
        StateIO.Read(reader, state._floor);
        if (state._top is not null) state._top.LoadFrom(reader);
        else
            for (int j = 0; j < neurons; j++) state._candidates![j].AddRange(StateIO.Read<CharacteristicExample>(reader));
        return state;
    }
}
