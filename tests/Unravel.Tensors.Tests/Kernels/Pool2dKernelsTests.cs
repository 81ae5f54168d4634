// The fast max-pool kernels (values only; argmax with hoisted windows) against the plain MaxPool2d kernel, on inputs
// full of ties (ReLU zeros), NaN and infinities, for odd sizes, strides, padding, dilation and ceil mode.

using Unravel.Tensors.Kernels;

namespace Unravel.Tensors.Tests.Kernels;

public sealed class Pool2dKernelsTests
{
    // H, W, KH, KW, stride (h, w), pad (h, w), dilation (h, w), ceil mode (0/1)
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0 },
        new[] { 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 0 },
        new[] { 7, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1 },
        new[] { 9, 41, 3, 3, 2, 2, 1, 1, 1, 1, 1 },
        new[] { 6, 40, 3, 3, 2, 2, 1, 1, 2, 1, 0 },
        new[] { 8, 8, 2, 2, 2, 2, 0, 0, 1, 1, 0 },
        new[] { 13, 21, 3, 2, 1, 3, 1, 1, 2, 1, 0 },
        new[] { 6, 37, 2, 5, 3, 1, 1, 2, 1, 2, 1 },
        new[] { 5, 5, 5, 5, 1, 1, 2, 2, 1, 1, 0 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void FastMaxPoolKernels_MatchThePlainKernel_OnTiesNaNAndInfinities(int[] d)
    {
        Pool2dGeometry g = Geometry(d);
        const int planes = 3;
        var rng = new Random(7);
        var x = new float[planes * g.Height * g.Width];
        float[] specials = [0f, 0f, 0f, -0f, 1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.Next(3) == 0 ? specials[rng.Next(specials.Length)] : MathF.Round((float)rng.NextDouble() * 4 - 2);
        int outLen = planes * g.OutH * g.OutW;
        var yRef = new float[outLen];
        var iRef = new int[outLen];
        Pool2dKernels.MaxPool2d(x, yRef, iRef, g, 0, planes);

        var yRows = new float[outLen];
        var iRows = new int[outLen];
        Pool2dKernels.MaxPool2dRows(x, yRows, iRows, new int[2 * g.OutW], g, 0, planes);
        Assert.Equal(iRef, iRows);
        Assert.Equal(yRef, yRows);

        var yValues = new float[outLen];
        foreach (int scratch in new[] { g.Width, 2 * g.Width + 2 }) // the plain row path, and the SIMD kernel-3 stride-2 columns
        {
            Pool2dKernels.MaxPool2dValues(x, yValues, new float[scratch], g, 0, planes);
            for (int i = 0; i < outLen; i++)
                Assert.True(yRef[i].Equals(yValues[i]) || (yRef[i] == 0f && yValues[i] == 0f), $"output {i}: plain {yRef[i]}, values-only {yValues[i]}");
        }
    }

    private static Pool2dGeometry Geometry(int[] d)
    {
        bool ceil = d[10] == 1;
        int oh = Pool2dGeometry.OutputSize(d[0], d[2], d[4], d[6], d[8], ceil), ow = Pool2dGeometry.OutputSize(d[1], d[3], d[5], d[7], d[9], ceil);
        return new Pool2dGeometry(d[0], d[1], oh, ow, d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9]);
    }
}
