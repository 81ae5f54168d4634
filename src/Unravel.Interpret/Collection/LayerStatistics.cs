// Streaming per-neuron statistics of one layer (CRP's ActMax reference collection, see
// docs/methods/lrp-crp.md). Each batch of activations is pooled per (input, neuron) over positions (max
// with its argmax, and mean), then: top-k by max and by mean (overall and per class label), float64 moments merged
// with Chan et al.'s parallel formula, min/max/positive/NaN/Inf counts, a fixed-range histogram, a seeded bottom-k
// random sample and, optionally, the pooled vectors themselves. Memory is independent of the dataset size unless
// KeepPooled is on. Every piece merges: Merge(A, B) gives what one pass over A ∪ B gives (exactly for top-k, counts,
// min, max, histogram and samples; to float64 rounding for mean and std). Save/Load write the exact state (checkpoints,
// shard states). Speed: a contiguous all-finite (input, neuron) row takes a vectorised path (max/argmax, min, positive
// count, float64 sum and squared deviations in vector lanes); rows with NaN/Inf or channels-last rows use the scalar loop.
// Reference: T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a pairwise algorithm for computing sample
// variances", 1979.

using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Collection;

/// <summary>Accumulates per-neuron statistics of one layer over batches of activations.</summary>
public sealed class LayerStatistics
{
    private readonly CollectionOptions _options;
    private readonly TopKTable _topMax, _topMean;
    private readonly SortedDictionary<int, (TopKTable Max, TopKTable Mean)> _byClass = [];
    private readonly long[] _count, _positive, _nan, _inf;
    private readonly double[] _mean, _m2;
    private readonly float[] _min, _max;
    private readonly long[] _histogram, _outside;
    private float[]? _histRange;
    // The current batch's activations, copied into one array reused across batches: a fresh array per batch costs a page
    // fault per 4 KiB page on first touch (about 12 µs each on the project's VMs), more than the statistics themselves.
    private float[] _batch = [];
    private readonly List<(ulong Key, long Index, float[] Values)> _sample = [];
    private readonly List<long> _pooledIndices = [];
    private readonly List<float> _pooledMax = [], _pooledMean = [];
    private long _inputs;

    /// <summary>Creates empty statistics for a layer.</summary>
    /// <param name="name">Hook name.</param>
    /// <param name="itemShape">Activation shape without the batch axis: [C, H, W], [C] or [T, C].</param>
    /// <param name="layout">Where the neuron axis is.</param>
    /// <param name="options">What to keep.</param>
    /// <exception cref="ArgumentException">Invalid shape or options.</exception>
    public LayerStatistics(string name, int[] itemShape, ActivationLayout layout, CollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (itemShape.Length == 0 || itemShape.Any(d => d < 1))
            throw new ArgumentException($"collect: layer '{name}' has item shape {ShapeRules.Format(itemShape)}; need at least one axis of size ≥ 1.", nameof(itemShape));
        if (options.TopK < 1 || options.ClassTopK < 0 || options.HistogramBins < 1 || options.RandomSamples < 0 || options.Quantiles < 0 || options.Quantiles == 1)
            throw new ArgumentException($"collect: invalid options {options}.", nameof(options));
        if (options.HistogramRange is { } r && !(r.Low < r.High && float.IsFinite(r.Low) && float.IsFinite(r.High)))
            throw new ArgumentException($"collect: histogram range [{r.Low}, {r.High}] must be finite with low < high.", nameof(options));
        Name = name;
        ItemShape = (int[])itemShape.Clone();
        Layout = layout;
        _options = options;
        Neurons = layout == ActivationLayout.ChannelsFirst ? itemShape[0] : itemShape[^1];
        Positions = itemShape.Aggregate(1, (a, b) => a * b) / Neurons;
        int c = Neurons;
        _topMax = new TopKTable(c, options.TopK);
        _topMean = new TopKTable(c, options.TopK);
        _count = new long[c]; _positive = new long[c]; _nan = new long[c]; _inf = new long[c];
        _mean = new double[c]; _m2 = new double[c];
        _min = new float[c]; _max = new float[c];
        Array.Fill(_min, float.PositiveInfinity);
        Array.Fill(_max, float.NegativeInfinity);
        _histogram = new long[c * options.HistogramBins];
        _outside = new long[c * 2];
        if (options.HistogramRange is { } range)
        {
            _histRange = new float[c * 2];
            for (int i = 0; i < c; i++) { _histRange[2 * i] = range.Low; _histRange[2 * i + 1] = range.High; }
        }
    }

    /// <summary>Hook name.</summary>
    public string Name { get; }

    /// <summary>Activation shape without the batch axis.</summary>
    public int[] ItemShape { get; }

    /// <summary>Where the neuron axis is.</summary>
    public ActivationLayout Layout { get; }

    /// <summary>C.</summary>
    public int Neurons { get; }

    /// <summary>Positions per input and neuron.</summary>
    public int Positions { get; }

    /// <summary>Inputs seen so far.</summary>
    public long Inputs => _inputs;

    /// <summary>The layout of a captured activation: rank 3 is [B, T, C] (tokens), any other rank is channels-first.</summary>
    public static ActivationLayout LayoutOf(Tensor activation) => activation.Rank == 3 ? ActivationLayout.ChannelsLast : ActivationLayout.ChannelsFirst;

    /// <summary>Adds a batch of activations of inputs <paramref name="firstIndex"/> … firstIndex + N - 1.</summary>
    /// <param name="activations">[N, …item shape].</param>
    /// <param name="firstIndex">Dataset index of the first input of the batch.</param>
    /// <param name="labels">Class label per input (length N), or null.</param>
    /// <exception cref="ArgumentException">The shape does not match the layer, or the labels the batch.</exception>
    public void Update(Tensor activations, long firstIndex, ReadOnlySpan<int> labels = default)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.Rank != ItemShape.Length + 1 || !activations.Shape[1..].SequenceEqual(ItemShape))
            throw new ArgumentException($"collect: layer '{Name}' activation {activations.ShapeString} does not match [N, {string.Join(", ", ItemShape)}].", nameof(activations));
        int n = activations.Dim(0), c = Neurons, p = Positions;
        if (!labels.IsEmpty && labels.Length != n)
            throw new ArgumentException($"collect: {labels.Length} labels for a batch of {n} inputs.", nameof(labels));
        if (n == 0) return;
        if (_batch.Length < activations.Length) _batch = new float[activations.Length];
        float[] data = _batch;   // only its first n·C·P values belong to this batch
        activations.Data.CopyTo(data);
        _histRange ??= FirstBatchRange(data, n);

        if (!labels.IsEmpty && _options.ClassTopK > 0)
            foreach (int label in labels)
                if (!_byClass.ContainsKey(label))
                    _byClass[label] = (new TopKTable(c, _options.ClassTopK), new TopKTable(c, _options.ClassTopK));
        (TopKTable Max, TopKTable Mean)[]? classTables = labels.IsEmpty || _options.ClassTopK == 0 ? null : new (TopKTable, TopKTable)[n];
        if (classTables is not null) for (int i = 0; i < n; i++) classTables[i] = _byClass[labels[i]];

        var pooledMax = new float[n * c];
        var pooledMean = new float[n * c];
        bool channelsFirst = Layout == ActivationLayout.ChannelsFirst;
        int bins = _options.HistogramBins;
        float[] histRange = _histRange;
        // Locals, so that the JIT keeps the arrays in registers inside the per-element loop.
        long[] histogram = _histogram, outside = _outside, nanCount = _nan, infCount = _inf, positiveCount = _positive;
        float[] minimum = _min, maximum = _max;
        TopKTable topMax = _topMax, topMean = _topMean;
        // Neurons are independent, so chunks of neurons run in parallel; each neuron sees its inputs in order.
        Parallelism.For(c, Math.Max(1, 4096 / Math.Max(1, n * p)), (start, end) =>
        {
            for (int ch = start; ch < end; ch++)
            {
                float lo = histRange[2 * ch], hi = histRange[2 * ch + 1];
                float scale = bins / (hi - lo);
                int hb = ch * bins;
                for (int i = 0; i < n; i++)
                {
                    int baseOffset = channelsFirst ? (i * c + ch) * p : i * p * c + ch;
                    int stride = channelsFirst ? 1 : c;
                    double sum = 0;
                    float mx = float.NegativeInfinity, mn = float.PositiveInfinity;
                    int arg = -1, finite = 0, positive = 0, nans = 0, infs = 0, below = 0, above = 0;
                    ReadOnlySpan<float> xs = channelsFirst ? data.AsSpan(baseOffset, p) : default;
                    if (channelsFirst && Scan(xs) is { Finite: true } scan)
                    {
                        // Fast path (contiguous, all finite): max, min, the positive count and the float64 sum in one
                        // vectorised pass (the sum in float64 lanes: a different order than one chain, equal to float64 rounding).
                        finite = p;
                        (mx, mn, positive, sum) = (scan.Max, scan.Min, scan.Positive, scan.Sum);
                        arg = xs.IndexOf(mx);
                        for (int q = 0; q < xs.Length; q++)
                        {
                            float v = xs[q];
                            if (v < lo) below++;
                            else if (v > hi) above++;
                            else histogram[hb + Math.Min(bins - 1, (int)((v - lo) * scale))]++;
                        }
                    }
                    else for (int q = 0, o = baseOffset; q < p; q++, o += stride)
                    {
                        float v = data[o];
                        if (!float.IsFinite(v))
                        {
                            if (float.IsNaN(v)) nans++; else infs++;
                            continue;
                        }
                        finite++;
                        sum += v;
                        if (v > mx) { mx = v; arg = q; }
                        if (v < mn) mn = v;
                        if (v > 0) positive++;
                        if (v < lo) below++;
                        else if (v > hi) above++;
                        else histogram[hb + Math.Min(bins - 1, (int)((v - lo) * scale))]++;
                    }
                    nanCount[ch] += nans;
                    infCount[ch] += infs;
                    outside[2 * ch] += below;
                    outside[2 * ch + 1] += above;
                    if (finite == 0)
                    {
                        pooledMax[i * c + ch] = float.NaN;
                        pooledMean[i * c + ch] = float.NaN;
                        continue;
                    }
                    double localMean = sum / finite, localM2 = 0;
                    if (finite == p && channelsFirst) localM2 = SumDeviations(xs, localMean, squared: true);
                    else for (int q = 0, o = baseOffset; q < p; q++, o += stride)
                    {
                        float v = data[o];
                        if (float.IsFinite(v)) { double d = v - localMean; localM2 += d * d; }
                    }
                    MergeMoments(ch, finite, localMean, localM2);
                    positiveCount[ch] += positive;
                    if (mn < minimum[ch]) minimum[ch] = mn;
                    if (mx > maximum[ch]) maximum[ch] = mx;
                    float meanValue = (float)localMean;
                    pooledMax[i * c + ch] = mx;
                    pooledMean[i * c + ch] = meanValue;
                    long index = firstIndex + i;
                    topMax.Offer(ch, mx, index, arg);
                    topMean.Offer(ch, meanValue, index, arg);
                    if (classTables is not null)
                    {
                        classTables[i].Max.Offer(ch, mx, index, arg);
                        classTables[i].Mean.Offer(ch, meanValue, index, arg);
                    }
                }
            }
        });

        for (int i = 0; i < n; i++)
            OfferSample(SampleKey(firstIndex + i), firstIndex + i, pooledMax.AsSpan(i * c, c));
        if (_options.KeepPooled)
        {
            for (int i = 0; i < n; i++) _pooledIndices.Add(firstIndex + i);
            _pooledMax.AddRange(pooledMax);
            _pooledMean.AddRange(pooledMean);
        }
        _inputs += n;
    }

    /// <summary>Σ (x − center)² (squared) or Σ x (not squared) in float64, over four or more independent lanes.</summary>
    private static double SumDeviations(ReadOnlySpan<float> x, double center, bool squared)
    {
        int i = 0;
        double total = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            Vector<double> a = Vector<double>.Zero, b = Vector<double>.Zero, mu = new(center);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(x.Slice(i)), out Vector<double> low, out Vector<double> high);
                Vector<double> d0 = low - mu, d1 = high - mu;
                a += squared ? d0 * d0 : d0;
                b += squared ? d1 * d1 : d1;
            }
            total = Vector.Sum(a + b);
        }
        for (; i < x.Length; i++)
        {
            double d = x[i] - center;
            total += squared ? d * d : d;
        }
        return total;
    }

    /// <summary>What one pass over a neuron's values gives: whether all are finite and, if so, their max and min (+0 above
    /// −0, as TensorPrimitives.Max and Min order them), the number &gt; 0 and the float64 sum.</summary>
    private readonly record struct ScanResult(bool Finite, float Max, float Min, int Positive, double Sum);

    /// <summary>One vectorised pass for the fast path of <see cref="Update"/> (it replaced five: the finiteness check,
    /// max, min, positive count and sum). The sum adds the widened halves into two float64 accumulators exactly as
    /// <see cref="SumDeviations"/>(x, 0, squared: false) does, so its value is the same bit for bit.</summary>
    private static ScanResult Scan(ReadOnlySpan<float> x)
    {
        int i = 0, count = 0;
        double total = 0;
        float max = float.NegativeInfinity, min = float.PositiveInfinity;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            Vector<double> a = Vector<double>.Zero, b = Vector<double>.Zero;
            Vector<int> lanes = Vector<int>.Zero, bad = Vector<int>.Zero;
            Vector<float> vmax = new(float.NegativeInfinity), vmin = new(float.PositiveInfinity);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(x.Slice(i));
                bad |= ~Vector.Equals(v - v, Vector<float>.Zero);      // v − v is NaN for NaN and ±∞
                lanes -= Vector.GreaterThan(v, Vector<float>.Zero);   // all ones (−1) where v > 0
                vmax = Vector.Max(vmax, v);
                vmin = Vector.Min(vmin, v);
                Vector.Widen(v, out Vector<double> low, out Vector<double> high);
                a += low;
                b += high;
            }
            if (bad != Vector<int>.Zero) return default;
            count = Vector.Sum(lanes);
            total = Vector.Sum(a + b);
            for (int l = 0; l < Vector<float>.Count; l++)
            {
                max = Math.Max(max, vmax[l]);
                min = Math.Min(min, vmin[l]);
            }
        }
        for (; i < x.Length; i++)
        {
            float v = x[i];
            if (!float.IsFinite(v)) return default;
            if (v > 0) count++;
            total += v;
            max = Math.Max(max, v);
            min = Math.Min(min, v);
        }
        // A vector max/min may keep either zero of a ±0 tie; TensorPrimitives puts +0 above −0.
        ReadOnlySpan<int> bits = MemoryMarshal.Cast<float, int>(x);
        if (max == 0f) max = bits.Contains(0) ? 0f : -0f;
        if (min == 0f) min = bits.Contains(unchecked((int)0x80000000)) ? -0f : 0f;
        return new ScanResult(true, max, min, count, total);
    }

    /// <summary>Fixes the per-neuron histogram range from a batch of activations (the first batch of the whole dataset),
    /// unless a range is already set; a shard calls this so that its histograms bin exactly as one full pass would.</summary>
    /// <exception cref="ArgumentException">The shape does not match the layer.</exception>
    public void PrimeHistogramRange(Tensor activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.Rank != ItemShape.Length + 1 || !activations.Shape[1..].SequenceEqual(ItemShape))
            throw new ArgumentException($"collect: layer '{Name}' activation {activations.ShapeString} does not match [N, {string.Join(", ", ItemShape)}].", nameof(activations));
        if (activations.Dim(0) > 0) _histRange ??= FirstBatchRange(activations.ToArray(), activations.Dim(0));
    }

    /// <summary>Writes the complete accumulator state, bit-exact (checkpoints and shard states).</summary>
    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Name);
        writer.Write((int)Layout);
        StateIO.Write(writer, ItemShape);
        CollectionOptions o = _options;
        writer.Write(o.TopK); writer.Write(o.ClassTopK); writer.Write(o.HistogramBins);
        writer.Write(o.HistogramRange is not null);
        writer.Write(o.HistogramRange?.Low ?? 0f); writer.Write(o.HistogramRange?.High ?? 0f);
        writer.Write(o.RandomSamples); writer.Write(o.Seed); writer.Write(o.Quantiles); writer.Write(o.KeepPooled);
        _topMax.Save(writer);
        _topMean.Save(writer);
        writer.Write(_byClass.Count);
        foreach ((int label, (TopKTable max, TopKTable mean)) in _byClass)
        {
            writer.Write(label);
            max.Save(writer);
            mean.Save(writer);
        }
        foreach (long[] a in new[] { _count, _positive, _nan, _inf, _histogram, _outside }) StateIO.Write(writer, a);
        StateIO.Write(writer, _mean); StateIO.Write(writer, _m2);
        StateIO.Write(writer, _min); StateIO.Write(writer, _max);
        writer.Write(_histRange is not null);
        if (_histRange is not null) StateIO.Write(writer, _histRange);
        writer.Write(_sample.Count);
        foreach ((ulong key, long index, float[] values) in _sample)
        {
            writer.Write(key);
            writer.Write(index);
            StateIO.Write(writer, values);
        }
        StateIO.Write(writer, CollectionsMarshal.AsSpan(_pooledIndices));
        StateIO.Write(writer, CollectionsMarshal.AsSpan(_pooledMax));
        StateIO.Write(writer, CollectionsMarshal.AsSpan(_pooledMean));
        writer.Write(_inputs);
    }

    /// <summary>Reads an accumulator written by <see cref="Save"/>; it continues exactly where the saved one stopped.</summary>
    /// <exception cref="InvalidDataException">The data is truncated or inconsistent.</exception>
    public static LayerStatistics Load(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string name = reader.ReadString();
        var layout = (ActivationLayout)reader.ReadInt32();
        int[] shape = StateIO.Read<int>(reader);
        int topK = reader.ReadInt32(), classTopK = reader.ReadInt32(), bins = reader.ReadInt32();
        bool hasRange = reader.ReadBoolean();
        float low = reader.ReadSingle(), high = reader.ReadSingle();
        var options = new CollectionOptions
        {
            TopK = topK, ClassTopK = classTopK, HistogramBins = bins, HistogramRange = hasRange ? (low, high) : null,
            RandomSamples = reader.ReadInt32(), Seed = reader.ReadInt32(), Quantiles = reader.ReadInt32(), KeepPooled = reader.ReadBoolean(),
        };
        var s = new LayerStatistics(name, shape, layout, options);
        s._topMax.LoadFrom(reader);
        s._topMean.LoadFrom(reader);
        int classes = reader.ReadInt32();
        for (int i = 0; i < classes; i++) s._byClass[reader.ReadInt32()] = (TopKTable.Load(reader), TopKTable.Load(reader));
        foreach (long[] a in new[] { s._count, s._positive, s._nan, s._inf, s._histogram, s._outside }) StateIO.Read(reader, a);
        StateIO.Read(reader, s._mean); StateIO.Read(reader, s._m2);
        StateIO.Read(reader, s._min); StateIO.Read(reader, s._max);
        if (reader.ReadBoolean()) s._histRange = StateIO.Read<float>(reader);
        int samples = reader.ReadInt32();
        for (int i = 0; i < samples; i++) s._sample.Add((reader.ReadUInt64(), reader.ReadInt64(), StateIO.Read<float>(reader)));
        s._pooledIndices.AddRange(StateIO.Read<long>(reader));
        s._pooledMax.AddRange(StateIO.Read<float>(reader));
        s._pooledMean.AddRange(StateIO.Read<float>(reader));
        s._inputs = reader.ReadInt64();
        return s;
    }

    /// <summary>The options this accumulator was created with.</summary>
    public CollectionOptions Options => _options;

    /// <summary>Adds another pass's statistics (e.g. another shard of the dataset) into this one.</summary>
    /// <exception cref="ArgumentException">Different layer shape, options or histogram ranges.</exception>
    public void Merge(LayerStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Name != Name || !other.ItemShape.SequenceEqual(ItemShape) || other.Layout != Layout || other._options != _options)
            throw new AnalysisException($"collect: cannot merge layer '{other.Name}' {ShapeRules.Format(other.ItemShape)} into '{Name}' {ShapeRules.Format(ItemShape)} (shapes, layouts and options must match).");
        if (other._histRange is not null)
        {
            if (_histRange is null) _histRange = (float[])other._histRange.Clone();
            else if (!_histRange.AsSpan().SequenceEqual(other._histRange))
                throw new AnalysisException($"collect: layer '{Name}': histogram ranges differ between the parts; collect them with a fixed HistogramRange to merge.");
        }
        _topMax.Merge(other._topMax);
        _topMean.Merge(other._topMean);
        foreach ((int label, (TopKTable max, TopKTable mean)) in other._byClass)
        {
            if (!_byClass.TryGetValue(label, out var mine))
                _byClass[label] = mine = (new TopKTable(Neurons, _options.ClassTopK), new TopKTable(Neurons, _options.ClassTopK));
            mine.Max.Merge(max);
            mine.Mean.Merge(mean);
        }
        for (int ch = 0; ch < Neurons; ch++)
        {
            if (other._count[ch] > 0) MergeMoments(ch, other._count[ch], other._mean[ch], other._m2[ch]);
            _positive[ch] += other._positive[ch];
            _nan[ch] += other._nan[ch];
            _inf[ch] += other._inf[ch];
            _min[ch] = Math.Min(_min[ch], other._min[ch]);
            _max[ch] = Math.Max(_max[ch], other._max[ch]);
        }
        for (int i = 0; i < _histogram.Length; i++) _histogram[i] += other._histogram[i];
        for (int i = 0; i < _outside.Length; i++) _outside[i] += other._outside[i];
        foreach ((ulong key, long index, float[] values) in other._sample) OfferSample(key, index, values);
        _pooledIndices.AddRange(other._pooledIndices);
        _pooledMax.AddRange(other._pooledMax);
        _pooledMean.AddRange(other._pooledMean);
        _inputs += other._inputs;
    }

    /// <summary>The statistics so far as arrays (the accumulator stays usable).</summary>
    public LayerStatisticsResult ToResult()
    {
        int c = Neurons;
        var std = new double[c];
        var fracPos = new double[c];
        var mean = new double[c];
        var min = new float[c];
        var max = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            bool any = _count[ch] > 0;
            mean[ch] = any ? _mean[ch] : double.NaN;
            std[ch] = any ? Math.Sqrt(_m2[ch] / _count[ch]) : double.NaN;
            fracPos[ch] = any ? (double)_positive[ch] / _count[ch] : double.NaN;
            min[ch] = any ? _min[ch] : float.NaN;
            max[ch] = any ? _max[ch] : float.NaN;
        }
        var byClass = new SortedDictionary<int, (TopKArrays, TopKArrays)>();
        foreach ((int label, (TopKTable mx, TopKTable mn)) in _byClass) byClass[label] = (Arrays(mx), Arrays(mn));

        (long[] pooledIdx, float[] pooledMax, float[] pooledMean)? pooled = _options.KeepPooled ? SortedPooled() : null;
        (double[] levels, long[] qIdx, float[] qVal) = pooled is { } pv ? QuantileSamples(pv.pooledIdx, pv.pooledMax) : ([], [], []);

        var sample = _sample.OrderBy(s => s.Index).ToList();
        var randomValues = new float[sample.Count * c];
        for (int s = 0; s < sample.Count; s++) sample[s].Values.CopyTo(randomValues, s * c);

        return new LayerStatisticsResult
        {
            Name = Name, Neurons = c, ItemShape = (int[])ItemShape.Clone(), Positions = Positions, Inputs = _inputs,
            TopByMax = Arrays(_topMax), TopByMean = Arrays(_topMean), TopByClass = byClass,
            Count = (long[])_count.Clone(), Mean = mean, Std = std, Min = min, Max = max, FractionPositive = fracPos,
            NanCount = (long[])_nan.Clone(), InfCount = (long[])_inf.Clone(),
            Bins = _options.HistogramBins, Histogram = (long[])_histogram.Clone(),
            HistogramRange = _histRange is null ? new float[2 * c] : (float[])_histRange.Clone(), HistogramOutside = (long[])_outside.Clone(),
            RandomIndices = sample.Select(s => s.Index).ToArray(), RandomValues = randomValues,
            QuantileLevels = levels, QuantileIndices = qIdx, QuantileValues = qVal,
            PooledIndices = pooled?.pooledIdx, PooledMax = pooled?.pooledMax, PooledMean = pooled?.pooledMean,
        };
    }

    private static TopKArrays Arrays(TopKTable t)
    {
        (float[] v, long[] i, int[] p) = t.ToSortedArrays();
        return new TopKArrays(t.K, t.Neurons, v, i, p);
    }

    /// <summary>Chan et al.'s pairwise update of (count, mean, M2) with a part of <paramref name="n"/> values.</summary>
    private void MergeMoments(int ch, long n, double mean, double m2)
    {
        long na = _count[ch], total = na + n;
        double delta = mean - _mean[ch];
        _mean[ch] += delta * n / total;
        _m2[ch] += m2 + delta * delta * ((double)na * n / total);
        _count[ch] = total;
    }

    /// <summary>Per-neuron finite [min, max] of the first batch (widened to width 1 when degenerate or empty).</summary>
    private float[] FirstBatchRange(float[] data, int n)
    {
        int c = Neurons, p = Positions;
        var range = new float[2 * c];
        bool channelsFirst = Layout == ActivationLayout.ChannelsFirst;
        for (int ch = 0; ch < c; ch++)
        {
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            for (int i = 0; i < n; i++)
                for (int q = 0; q < p; q++)
                {
                    float v = data[channelsFirst ? (i * c + ch) * p + q : (i * p + q) * c + ch];
                    if (!float.IsFinite(v)) continue;
                    lo = Math.Min(lo, v);
                    hi = Math.Max(hi, v);
                }
            if (lo > hi) { lo = 0; hi = 1; }
            else if (!(hi - lo > 0)) { lo -= 0.5f; hi += 0.5f; }
            range[2 * ch] = lo;
            range[2 * ch + 1] = hi;
        }
        return range;
    }

    /// <summary>SplitMix64 of (seed, index): input i's sampling key. Keeping the smallest keys is a uniform sample without
    /// replacement that does not depend on batching or sharding (bottom-k sampling).</summary>
    private ulong SampleKey(long index)
    {
        ulong z = unchecked((ulong)index * 0x9E3779B97F4A7C15UL + (ulong)(uint)_options.Seed * 0xD1B54A32D192ED03UL + 0x632BE59BD9B4E019UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private void OfferSample(ulong key, long index, ReadOnlySpan<float> values)
    {
        int r = _options.RandomSamples;
        if (r == 0) return;
        if (_sample.Count == r && Compare(key, index, _sample[^1].Key, _sample[^1].Index) >= 0) return;
        int at = _sample.FindIndex(s => Compare(key, index, s.Key, s.Index) < 0);
        _sample.Insert(at < 0 ? _sample.Count : at, (key, index, values.ToArray()));
        if (_sample.Count > r) _sample.RemoveAt(_sample.Count - 1);
    }

    private static int Compare(ulong ka, long ia, ulong kb, long ib) => ka != kb ? ka.CompareTo(kb) : ia.CompareTo(ib);

    private (long[], float[], float[]) SortedPooled()
    {
        int c = Neurons, m = _pooledIndices.Count;
        int[] order = Enumerable.Range(0, m).ToArray();
        long[] keys = _pooledIndices.ToArray();
        Array.Sort(keys, order);
        var max = new float[m * c];
        var mean = new float[m * c];
        for (int r = 0; r < m; r++)
            for (int ch = 0; ch < c; ch++)
            {
                max[r * c + ch] = _pooledMax[order[r] * c + ch];
                mean[r * c + ch] = _pooledMean[order[r] * c + ch];
            }
        return (keys, max, mean);
    }

    /// <summary>Nearest-rank quantiles of each neuron's finite per-input max: level q picks rank round(q·(m − 1)) of the
    /// values sorted ascending (ties, −0 and +0 included: lower input index first).</summary>
    /// <remarks>Each neuron's values are sorted as one 64-bit key per input, the value's order-preserving bits above the
    /// rank of its input index, with Array.Sort on primitives: a comparison delegate per pair had taken about a tenth of a
    /// 10,000-image collection's time.</remarks>
    private (double[], long[], float[]) QuantileSamples(long[] indices, float[] pooledMax)
    {
        int qn = _options.Quantiles, c = Neurons, m = indices.Length;
        var levels = new double[qn];
        for (int j = 0; j < qn; j++) levels[j] = (double)j / (qn - 1);
        var qIdx = new long[qn * c];
        var qVal = new float[qn * c];
        Array.Fill(qIdx, -1L);
        Array.Fill(qVal, float.NaN);
        // byIndex[k] is the row holding the k-th smallest input index; rank[row] = k.
        long[] sortedIndices = (long[])indices.Clone();
        int[] byIndex = new int[m], rank = new int[m];
        for (int r = 0; r < m; r++) byIndex[r] = r;
        Array.Sort(sortedIndices, byIndex);
        for (int k = 0; k < m; k++) rank[byIndex[k]] = k;
        var keys = new ulong[m];
        for (int ch = 0; ch < c; ch++)
        {
            int n = 0;
            for (int r = 0; r < m; r++)
            {
                float v = pooledMax[r * c + ch];
                if (!float.IsNaN(v)) keys[n++] = (ulong)OrderedBits(v) << 32 | (uint)rank[r];
            }
            if (n == 0) continue;
            Array.Sort(keys, 0, n);
            for (int j = 0; j < qn; j++)
            {
                int row = byIndex[(int)(uint)keys[(int)Math.Round(levels[j] * (n - 1), MidpointRounding.AwayFromZero)]];
                qIdx[j * c + ch] = indices[row];
                qVal[j * c + ch] = pooledMax[row * c + ch];
            }
        }
        return (levels, qIdx, qVal);
    }

    /// <summary>Bits of a non-NaN float whose unsigned order is the float order, −0 mapped to +0 (they compare equal).</summary>
    private static uint OrderedBits(float v)
    {
        uint bits = (uint)BitConverter.SingleToInt32Bits(v == 0f ? 0f : v);
        return (bits & 0x80000000u) == 0 ? bits | 0x80000000u : ~bits;
    }
}
