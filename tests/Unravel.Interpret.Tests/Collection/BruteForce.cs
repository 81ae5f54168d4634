// A slow, obvious reference for LayerStatistics: every per-input pooled value and every statistic computed from all
// activations at once, with full sorts instead of heaps.

using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Interpret.Collection;

namespace Unravel.Interpret.Tests.Collection;

internal sealed class BruteForce
{
    public BruteForce(float[] all, int n, int c, int p, bool channelsFirst)
    {
        N = n; C = c; P = p;
        Max = new float[n * c]; Mean = new float[n * c]; Arg = new int[n * c];
        Values = new List<float>[c];
        for (int ch = 0; ch < c; ch++)
        {
            Values[ch] = [];
            for (int i = 0; i < n; i++)
            {
                var plane = Enumerable.Range(0, p).Select(q => all[channelsFirst ? (i * c + ch) * p + q : (i * p + q) * c + ch]).ToArray();
                var finite = plane.Select((v, q) => (v, q)).Where(t => float.IsFinite(t.v)).ToArray();
                Values[ch].AddRange(finite.Select(t => t.v));
                if (finite.Length == 0) { Max[i * c + ch] = float.NaN; Mean[i * c + ch] = float.NaN; Arg[i * c + ch] = -1; continue; }
                float mx = finite.Max(t => t.v);
                Max[i * c + ch] = mx;
                Arg[i * c + ch] = finite.First(t => t.v == mx).q;
                Mean[i * c + ch] = (float)(finite.Sum(t => (double)t.v) / finite.Length);
            }
        }
    }

    public int N { get; }
    public int C { get; }
    public int P { get; }
    public float[] Max { get; }
    public float[] Mean { get; }
    public int[] Arg { get; }
    public List<float>[] Values { get; }

    /// <summary>Inputs of neuron ch sorted by (value desc, index asc), finite only, restricted to <paramref name="inputs"/>.</summary>
    public (long Index, float Value, int Pos)[] Ranked(float[] pooled, int ch, IEnumerable<int>? inputs = null) =>
        (inputs ?? Enumerable.Range(0, N)).Where(i => !float.IsNaN(pooled[i * C + ch]))
            .Select(i => ((long)i, pooled[i * C + ch], Arg[i * C + ch]))
            .OrderByDescending(t => t.Item2).ThenBy(t => t.Item1).ToArray();

    public static void AssertTopK(TopKArrays top, Func<int, (long Index, float Value, int Pos)[]> expected)
    {
        for (int ch = 0; ch < top.Neurons; ch++)
        {
            var e = expected(ch);
            for (int r = 0; r < top.K; r++)
            {
                int at = r * top.Neurons + ch;
                if (r < e.Length)
                {
                    Assert.True(e[r].Index == top.Indices[at], $"neuron {ch} rank {r}: index {top.Indices[at]}, expected {e[r].Index} ({e[r].Value})");
                    Assert.Equal(e[r].Value, top.Values[at]);
                    Assert.Equal(e[r].Pos, top.Positions[at]);
                }
                else
                {
                    Assert.Equal(-1, top.Indices[at]);
                }
            }
        }
    }

    public void AssertMatches(LayerStatisticsResult r, int[]? labels, CollectionOptions o)
    {
        Assert.Equal(N, r.Inputs);
        AssertTopK(r.TopByMax, ch => Ranked(Max, ch));
        AssertTopK(r.TopByMean, ch => Ranked(Mean, ch));
        if (labels is not null)
        {
            Assert.Equal(labels.Distinct().Order(), r.TopByClass.Keys.Order());
            foreach ((int label, (TopKArrays bm, TopKArrays bn)) in r.TopByClass)
            {
                var members = Enumerable.Range(0, N).Where(i => labels[i] == label).ToArray();
                AssertTopK(bm, ch => Ranked(Max, ch, members));
                AssertTopK(bn, ch => Ranked(Mean, ch, members));
            }
        }
        for (int ch = 0; ch < C; ch++)
        {
            var v = Values[ch];
            Assert.Equal(v.Count, r.Count[ch]);
            double mean = v.Sum(x => (double)x) / v.Count;
            double std = Math.Sqrt(v.Sum(x => ((double)x - mean) * ((double)x - mean)) / v.Count);
            Assert.True(Math.Abs(mean - r.Mean[ch]) <= 1e-9 * (1 + Math.Abs(mean)), $"neuron {ch}: mean {r.Mean[ch]} vs {mean}");
            Assert.True(Math.Abs(std - r.Std[ch]) <= 1e-9 * (1 + std), $"neuron {ch}: std {r.Std[ch]} vs {std}");
            Assert.Equal(v.Min(), r.Min[ch]);
            Assert.Equal(v.Max(), r.Max[ch]);
            Assert.Equal((double)v.Count(x => x > 0) / v.Count, r.FractionPositive[ch], 12);
            float lo = r.HistogramRange[2 * ch], hi = r.HistogramRange[2 * ch + 1];
            long inside = v.LongCount(x => x >= lo && x <= hi);
            Assert.Equal(inside, r.Histogram.Skip(ch * r.Bins).Take(r.Bins).Sum());
            Assert.Equal(v.LongCount(x => x < lo), r.HistogramOutside[2 * ch]);
            Assert.Equal(v.LongCount(x => x > hi), r.HistogramOutside[2 * ch + 1]);
            // The kernel computes bins in float: a value within 1e-4 of a bin edge (in bin units) may fall on either side.
            var sure = new long[r.Bins];
            var maybe = new long[r.Bins];
            foreach (float x in v)
            {
                if (x < lo || x > hi) continue;
                double f = ((double)x - lo) / ((double)hi - lo) * r.Bins;
                int b = Math.Min(r.Bins - 1, (int)Math.Floor(f));
                double near = Math.Round(f);
                if (Math.Abs(f - near) < 1e-4)
                {
                    maybe[Math.Clamp((int)near - 1, 0, r.Bins - 1)]++;
                    maybe[Math.Clamp((int)near, 0, r.Bins - 1)]++;
                }
                else sure[b]++;
            }
            for (int b = 0; b < r.Bins; b++)
            {
                long got = r.Histogram[ch * r.Bins + b];
                Assert.True(got >= sure[b] && got <= sure[b] + maybe[b], $"neuron {ch} bin {b}: {got} not in [{sure[b]}, {sure[b] + maybe[b]}]");
            }
            // Quantile samples: nearest rank over finite per-input max sorted ascending, ties by index.
            var asc = Enumerable.Range(0, N).Where(i => !float.IsNaN(Max[i * C + ch])).OrderBy(i => Max[i * C + ch]).ThenBy(i => i).ToArray();
            for (int j = 0; j < r.QuantileLevels.Length; j++)
            {
                int i = asc[(int)Math.Round(r.QuantileLevels[j] * (asc.Length - 1), MidpointRounding.AwayFromZero)];
                Assert.Equal(i, r.QuantileIndices[j * C + ch]);
                Assert.Equal(Max[i * C + ch], r.QuantileValues[j * C + ch]);
            }
        }
        Assert.Equal(o.Quantiles, r.QuantileLevels.Length);
        Assert.Equal(0.0, r.QuantileLevels[0]);
        Assert.Equal(1.0, r.QuantileLevels[^1]);
        Assert.Equal(Math.Min(o.RandomSamples, N), r.RandomIndices.Length);
        Assert.Equal(r.RandomIndices.Order(), r.RandomIndices);
        Assert.Equal(r.RandomIndices.Length, r.RandomIndices.Distinct().Count());
        for (int s = 0; s < r.RandomIndices.Length; s++)
            for (int ch = 0; ch < C; ch++)
                Assert.Equal(Max[r.RandomIndices[s] * C + ch], r.RandomValues[s * C + ch]);
        Assert.Equal(Enumerable.Range(0, N).Select(i => (long)i), r.PooledIndices!);
        Assert.Equal(Max, r.PooledMax!);
        Assert.Equal(Mean, r.PooledMean!);
    }
}
