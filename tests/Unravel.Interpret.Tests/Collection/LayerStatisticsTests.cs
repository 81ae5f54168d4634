// LayerStatistics against the brute-force reference on synthetic activations: both layouts, odd batches, ties, NaN
// and Inf, and shard merging.

using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Interpret.Collection;

namespace Unravel.Interpret.Tests.Collection;

public sealed class LayerStatisticsTests
{
    private static readonly CollectionOptions Small = new() { TopK = 7, ClassTopK = 3, HistogramBins = 9, RandomSamples = 5, Quantiles = 5, Seed = 3 };

    private static float[] Random(int count, int seed, int distinct = 0)
    {
        var rng = new Random(seed);
        // distinct > 0 draws from few values, so ties in max and mean are common.
        return Enumerable.Range(0, count).Select(_ => distinct > 0 ? rng.Next(distinct) - distinct / 3f : (float)(rng.NextDouble() * 4 - 1.5)).ToArray();
    }

    private static LayerStatistics Feed(float[] all, int[] itemShape, ActivationLayout layout, int[]? labels, int[] batches, CollectionOptions o, int from = 0, int to = -1)
    {
        var s = new LayerStatistics("layer", itemShape, layout, o);
        int per = itemShape.Aggregate(1, (a, b) => a * b);
        to = to < 0 ? all.Length / per : to;
        int start = from, k = 0;
        while (start < to)
        {
            int count = Math.Min(batches[k++ % batches.Length], to - start);
            Tensor a = Tensor.FromArray(all.AsSpan(start * per, count * per).ToArray(), [count, .. itemShape]);
            s.Update(a, start, labels is null ? default : labels.AsSpan(start, count));
            start += count;
        }
        return s;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void ChannelsFirst_OddBatches_MatchesBruteForce(int distinct)
    {
        int n = 53, c = 4, h = 3, w = 5;
        float[] all = Random(n * c * h * w, 1, distinct);
        int[] labels = Enumerable.Range(0, n).Select(i => i * 7 % 3).ToArray();
        LayerStatisticsResult r = Feed(all, [c, h, w], ActivationLayout.ChannelsFirst, labels, [8, 1, 13], Small).ToResult();
        new BruteForce(all, n, c, h * w, true).AssertMatches(r, labels, Small);
    }

    [Fact]
    public void ChannelsLast_Tokens_MatchesBruteForce()
    {
        int n = 31, t = 6, c = 5;
        float[] all = Random(n * t * c, 2, 7);
        LayerStatisticsResult r = Feed(all, [t, c], ActivationLayout.ChannelsLast, null, [4], Small).ToResult();
        Assert.Empty(r.TopByClass);
        Assert.Equal(t, r.Positions);
        new BruteForce(all, n, c, t, false).AssertMatches(r, null, Small);
    }

    [Fact]
    public void Linear_OnePosition_MatchesBruteForce()
    {
        int n = 40, c = 3;
        float[] all = Random(n * c, 4);
        LayerStatisticsResult r = Feed(all, [c], ActivationLayout.ChannelsFirst, null, [16], Small).ToResult();
        Assert.All(r.TopByMax.Positions, p => Assert.Equal(0, p));
        new BruteForce(all, n, c, 1, true).AssertMatches(r, null, Small);
    }

    [Fact]
    public void SignedZeros_PerInputMax_OrdersPlusZeroAboveMinusZero()
    {
        // 20 positions (two vectors of 8 and a tail): each input's max (the pooled value the top-k tables rank) must be
        // TensorPrimitives.Max bit for bit, where +0 counts above −0 whatever lane or order the zeros come in.
        const int n = 3, c = 4, p = 20;
        float[] all = new float[n * c * p];
        for (int i = 0; i < n; i++)
        for (int q = 0; q < p; q++)
        {
            all[(i * c + 0) * p + q] = -0f;                                                    // only −0
            all[(i * c + 1) * p + q] = q == 13 && i == 1 ? 0f : q % 2 == 0 ? -0f : -1f - q;   // input 1: one +0 among −0s
            all[(i * c + 2) * p + q] = q == 17 && i == 2 ? -0f : q % 3 == 0 ? 0f : -1f - q;   // input 2: one −0 among +0s
            all[(i * c + 3) * p + q] = (q - 9.5f) * (i + 1);                                   // no zeros
        }
        LayerStatisticsResult r = Feed(all, [c, p], ActivationLayout.ChannelsFirst, null, [2, 1], Small with { KeepPooled = true }).ToResult();
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        {
            float expected = System.Numerics.Tensors.TensorPrimitives.Max(all.AsSpan((i * c + ch) * p, p));
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(r.PooledMax![i * c + ch]));
        }
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(r.PooledMax![0 * c + 1]));   // planted
        Assert.Equal(0, BitConverter.SingleToInt32Bits(r.PooledMax![1 * c + 1]));
        Assert.Equal(0, BitConverter.SingleToInt32Bits(r.PooledMax![2 * c + 2]));
        Assert.Equal(-1f - 19, r.Min[1]);                                                       // the minimum of the negatives
        new BruteForce(all, n, c, p, true).AssertMatches(r, null, Small with { KeepPooled = true }); // quantiles over ±0 ties too
    }

    [Fact]
    public void AllEqual_Ties_LowerIndexWins()
    {
        int n = 20, c = 2;
        float[] all = Enumerable.Repeat(1f, n * c * 4).ToArray();
        LayerStatisticsResult r = Feed(all, [c, 2, 2], ActivationLayout.ChannelsFirst, null, [3], Small).ToResult();
        for (int rank = 0; rank < Small.TopK; rank++)
            for (int ch = 0; ch < c; ch++)
            {
                Assert.Equal(rank, r.TopByMax.Indices[rank * c + ch]);
                Assert.Equal(0, r.TopByMax.Positions[rank * c + ch]);
            }
        Assert.Equal(0.0, r.Std[0]);
    }

    [Fact]
    public void NanAndInf_CountedAndNeverRanked()
    {
        int n = 12, c = 3, p = 4;
        float[] all = Random(n * c * p, 5);
        for (int q = 0; q < p; q++) all[(2 * c + 1) * p + q] = float.NaN;            // input 2, neuron 1: every position NaN
        all[(5 * c + 1) * p + 0] = float.PositiveInfinity;                          // input 5, neuron 1, position 0
        all[(6 * c + 0) * p + 3] = float.NaN;                                       // input 6, neuron 0, position 3
        all[(7 * c + 2) * p + 1] = float.NegativeInfinity;
        var o = Small with { TopK = n };
        LayerStatisticsResult r = Feed(all, [c, 2, 2], ActivationLayout.ChannelsFirst, null, [5], o).ToResult();
        Assert.Equal([1L, 4L, 0L], r.NanCount);
        Assert.Equal([0L, 1L, 1L], r.InfCount);
        Assert.DoesNotContain(2L, Enumerable.Range(0, n).Select(k => r.TopByMax.Indices[k * c + 1]));
        Assert.Equal(-1L, r.TopByMax.Indices[(n - 1) * c + 1]);                     // only 11 rankable inputs
        Assert.All(r.TopByMax.Values.Where((_, i) => r.TopByMax.Indices[i] >= 0), v => Assert.True(float.IsFinite(v)));
        Assert.True(float.IsFinite(r.Max[1]) && double.IsFinite(r.Mean[1]) && double.IsFinite(r.Std[1]));
        Assert.Equal(n * p - 5, r.Count[1]);
        new BruteForce(all, n, c, p, true).AssertMatches(r, null, o);
    }

    [Fact]
    public void Merge_TwoShards_EqualsOnePass()
    {
        int n = 61, c = 3, p = 6;
        float[] all = Random(n * c * p, 6, 9);
        int[] labels = Enumerable.Range(0, n).Select(i => i % 4).ToArray();
        var o = Small with { HistogramRange = (-2f, 5f) };
        LayerStatisticsResult one = Feed(all, [c, 2, 3], ActivationLayout.ChannelsFirst, labels, [10], o).ToResult();
        // Shards in the "wrong" order with other batch sizes: the result must not depend on either.
        LayerStatistics b = Feed(all, [c, 2, 3], ActivationLayout.ChannelsFirst, labels, [7, 3], o, 25, n);
        b.Merge(Feed(all, [c, 2, 3], ActivationLayout.ChannelsFirst, labels, [4], o, 0, 25));
        LayerStatisticsResult merged = b.ToResult();

        Assert.Equal(one.TopByMax, merged.TopByMax, TopKEqual);
        Assert.Equal(one.TopByMean, merged.TopByMean, TopKEqual);
        foreach (int label in one.TopByClass.Keys)
        {
            Assert.True(TopKEqual(one.TopByClass[label].ByMax, merged.TopByClass[label].ByMax));
            Assert.True(TopKEqual(one.TopByClass[label].ByMean, merged.TopByClass[label].ByMean));
        }
        Assert.Equal(one.Count, merged.Count);
        Assert.Equal(one.Min, merged.Min);
        Assert.Equal(one.Max, merged.Max);
        Assert.Equal(one.NanCount, merged.NanCount);
        Assert.Equal(one.FractionPositive, merged.FractionPositive);
        Assert.Equal(one.Histogram, merged.Histogram);
        Assert.Equal(one.HistogramOutside, merged.HistogramOutside);
        Assert.Equal(one.RandomIndices, merged.RandomIndices);
        Assert.Equal(one.RandomValues, merged.RandomValues);
        Assert.Equal(one.QuantileIndices, merged.QuantileIndices);
        Assert.Equal(one.PooledMax, merged.PooledMax);
        for (int ch = 0; ch < c; ch++)
        {
            Assert.Equal(one.Mean[ch], merged.Mean[ch], 1e-12);
            Assert.Equal(one.Std[ch], merged.Std[ch], 1e-12);
        }
    }

    [Fact]
    public void Merge_DifferentFirstBatchRanges_Throws()
    {
        float[] all = Random(10 * 2, 7);
        LayerStatistics a = Feed(all, [2], ActivationLayout.ChannelsFirst, null, [5], Small, 0, 5);
        LayerStatistics b = Feed(all, [2], ActivationLayout.ChannelsFirst, null, [5], Small, 5, 10);
        var e = Assert.Throws<AnalysisException>(() => a.Merge(b));
        Assert.Contains("histogram ranges differ", e.Message);
    }

    [Fact]
    public void RandomSample_IndependentOfBatching()
    {
        float[] all = Random(100 * 2, 8);
        var o = Small with { RandomSamples = 10 };
        LayerStatisticsResult a = Feed(all, [2], ActivationLayout.ChannelsFirst, null, [100], o).ToResult();
        LayerStatisticsResult b = Feed(all, [2], ActivationLayout.ChannelsFirst, null, [3, 17], o).ToResult();
        LayerStatisticsResult other = Feed(all, [2], ActivationLayout.ChannelsFirst, null, [100], o with { Seed = 99 }).ToResult();
        Assert.Equal(a.RandomIndices, b.RandomIndices);
        Assert.NotEqual(a.RandomIndices, other.RandomIndices);
    }

    [Fact]
    public void Update_SameShapedBatches_AllocatesFarLessThanTheBatch()
    {
        // A layer2-sized batch of the shipped Fashion model (64 × 32 × 14 × 14 floats, 1.6 MB). Copying each batch into
        // a fresh array allocated its whole size per batch; the reused buffer leaves only the per-input results. Counted on
        // this thread (where the copy happens), so that tests running in parallel do not count.
        int n = 64, c = 32, p = 14 * 14;
        Tensor batch = Tensor.FromArray(Random(n * c * p, 9), [n, c, 14, 14]);
        int[] labels = Enumerable.Range(0, n).Select(i => i % 10).ToArray();
        var s = new LayerStatistics("layer2", [c, 14, 14], ActivationLayout.ChannelsFirst, new CollectionOptions());
        s.Update(batch, 0, labels);   // the first batch sizes the buffer and the tables
        const int Batches = 8;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int b = 1; b <= Batches; b++) s.Update(batch, (long)b * n, labels);
        long perBatch = (GC.GetAllocatedBytesForCurrentThread() - before) / Batches;
        long batchBytes = (long)n * c * p * sizeof(float);
        Assert.True(perBatch < batchBytes / 4, $"{perBatch} bytes allocated per batch of {batchBytes} bytes");
    }

    [Fact]
    public void Update_WrongShape_ThrowsNamingLayerAndShapes()
    {
        var s = new LayerStatistics("layer2", [4, 3, 3], ActivationLayout.ChannelsFirst, Small);
        var e = Assert.Throws<ArgumentException>(() => s.Update(Tensor.Zeros(2, 4, 3, 2), 0));
        Assert.Contains("layer2", e.Message);
        Assert.Contains("[2, 4, 3, 2]", e.Message);
    }

    private static bool TopKEqual(TopKArrays? x, TopKArrays? y) =>
        x is not null && y is not null && x.K == y.K && x.Neurons == y.Neurons && x.Indices.SequenceEqual(y.Indices)
        && x.Positions.SequenceEqual(y.Positions) && x.Values.Select(BitConverter.SingleToInt32Bits).SequenceEqual(y.Values.Select(BitConverter.SingleToInt32Bits));
}
