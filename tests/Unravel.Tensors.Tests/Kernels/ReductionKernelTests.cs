// Reduction and slice kernels against plain scalar loops.

using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Kernels;

public sealed class ReductionKernelTests
{
    [Fact]
    public void Sum_EveryLength0To257AndLong_MatchesDoubleSum()
    {
        var rng = new Random(1);
        foreach (int n in Enumerable.Range(0, 258).Append(1024).Append(1025).Append(6 * 512 + 7))
        {
            float[] x = Enumerable.Range(0, n).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
            double exact = x.Sum(v => (double)v);
            Assert.Equal(exact, Reductions.Sum(x), 1e-5 + 1e-6 * n);
        }
    }

    [Theory]
    [InlineData(3, 5, 1)]
    [InlineData(2, 7, 9)]
    [InlineData(1, 1, 17)]
    [InlineData(4, 0, 3)]
    [InlineData(2, 1300, 1)]
    public void SumAxisAndMaxAxis_MatchScalarLoops(int outer, int n, int inner)
    {
        var rng = new Random(outer * 1000 + n * 10 + inner);
        float[] x = Enumerable.Range(0, outer * n * inner).Select(_ => rng.NextSingle() * 4 - 2).ToArray();
        float[] sum = new float[outer * inner], max = new float[outer * inner];
        int[] argmax = new int[outer * inner];
        Reductions.SumAxis(x, sum, outer, n, inner);
        if (n > 0) Reductions.MaxAxis(x, max, argmax, outer, n, inner);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double s = 0;
                float m = float.NegativeInfinity;
                int am = -1;
                for (int r = 0; r < n; r++)
                {
                    float v = x[(o * n + r) * inner + i];
                    s += v;
                    if (v > m) { m = v; am = r; }
                }
                Assert.Equal(s, sum[o * inner + i], 1e-4);
                if (n == 0) continue;
                Assert.Equal(m, max[o * inner + i]);
                Assert.Equal(am, argmax[o * inner + i]);
            }
    }

    [Fact]
    public void MaxAxisBackward_ScattersToArgmaxAndAccumulates()
    {
        float[] dx = [1f, 1f, 1f, 1f, 1f, 1f];                 // [outer 1, n 3, inner 2]
        Reductions.MaxAxisBackward([10f, 20f], [2, 0], dx, 1, 3, 2);
        Assert.Equal([1f, 21f, 1f, 1f, 11f, 1f], dx);
    }

    [Fact]
    public void SliceAxis_AndBackward_MatchScalarLoops()
    {
        float[] x = Enumerable.Range(0, 2 * 7 * 3).Select(i => (float)i).ToArray();   // [2, 7, 3]
        float[] y = new float[2 * 3 * 3];
        ShapeCopy.SliceAxis(x, y, 2, 7, 3, 1, 2, 3);                                  // rows 1, 3, 5
        for (int o = 0; o < 2; o++)
            for (int k = 0; k < 3; k++)
                for (int i = 0; i < 3; i++)
                    Assert.Equal(x[(o * 7 + 1 + 2 * k) * 3 + i], y[(o * 3 + k) * 3 + i]);
        float[] dx = new float[x.Length];
        ShapeCopy.SliceAxisBackward(y, dx, 2, 7, 3, 1, 2, 3);
        for (int j = 0; j < x.Length; j++)
        {
            int r = j / 3 % 7;
            Assert.Equal(r % 2 == 1 && r <= 5 ? x[j] : 0f, dx[j]);
        }
    }

    [Fact]
    public void Kernels_ShortSpansOrBadExtents_Throw()
    {
        Assert.Throws<ArgumentException>(() => Reductions.SumAxis(new float[5], new float[2], 2, 3, 1));
        Assert.Throws<ArgumentException>(() => Reductions.MaxAxis(new float[6], new float[2], new int[1], 2, 3, 1));
        Assert.Throws<ArgumentException>(() => Reductions.MaxAxis(new float[0], new float[2], new int[2], 2, 0, 1));
        Assert.Throws<ArgumentException>(() => ShapeCopy.SliceAxis(new float[7], new float[4], 1, 7, 1, 1, 2, 4));
        Assert.Throws<ArgumentException>(() => ShapeCopy.Permute(new float[6], new float[6], [2, 3], [0, 0]));
        Assert.Throws<ArgumentException>(() => ShapeCopy.Permute(new float[6], new float[5], [2, 3], [1, 0]));
    }

    [Fact]
    public void Permute_AndBackward_Kernels_RoundTrip()
    {
        float[] x = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();          // [2, 3, 4]
        float[] y = new float[24];
        ShapeCopy.Permute(x, y, [2, 3, 4], [2, 0, 1]);                               // [4, 2, 3]
        Assert.Equal(x[(1 * 3 + 2) * 4 + 3], y[(3 * 2 + 1) * 3 + 2]);
        float[] back = Enumerable.Repeat(1f, 24).ToArray();
        ShapeCopy.PermuteBackward(y, back, [2, 3, 4], [2, 0, 1]);
        TensorAssert.Close(x.Select(v => v + 1f).ToArray(), back, 0f, 0f, "permute backward accumulates");
    }
}
