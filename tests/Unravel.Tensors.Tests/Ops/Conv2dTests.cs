using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class Conv2dTests
{
    public static TheoryData<string> Cases => OpCase.Names("conv", "conv2d");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("conv", name);
        Conv2dOptions options = OptionsOf(c);
        OpCheck.ForwardAndBackward(c, x => Tensors.Ops.Conv2d(x["x"], x["weight"], x.GetValueOrDefault("bias"), options));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_EveryApplicableAlgorithm_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("conv", name);
        Conv2dOptions options = OptionsOf(c);
        bool pointwise = c.Input("weight").Dim(2) == 1 && c.Input("weight").Dim(3) == 1
            && options.Stride == (1, 1) && options.Padding == (0, 0);
        var algorithms = new List<Conv2dAlgorithm> { Conv2dAlgorithm.Im2ColGemm, Conv2dAlgorithm.Blocked, Conv2dAlgorithm.PackedGemm, Conv2dAlgorithm.Direct };
        if (pointwise) algorithms.Add(Conv2dAlgorithm.Pointwise);
        foreach (Conv2dAlgorithm algorithm in algorithms)
            OpCheck.ForwardAndBackward(c, x => Tensors.Ops.Conv2d(x["x"], x["weight"], x.GetValueOrDefault("bias"), options, algorithm));
    }

    [Theory]
    [InlineData(1, 1, 0, 1, 1, true)]
    [InlineData(2, 2, 1, 1, 1, false)]
    [InlineData(1, 1, 2, 2, 1, true)]
    [InlineData(1, 1, 1, 1, 2, true)]
    [InlineData(1, 2, 1, 1, 4, false)]
    public void Conv2d_CentralDifference(int kernel, int stride, int padding, int dilation, int groups, bool withBias)
    {
        var rng = new Random(11);
        int c = 4, o = groups == 4 ? 4 : 2 * groups;
        Tensor x = Tensor.RandomNormal(rng, 2, c, 6, 5);
        Tensor w = Tensor.RandomNormal(rng, o, c / groups, kernel + 2, kernel + 1);
        Tensor b = Tensor.RandomNormal(rng, o);
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Dilation = (dilation, dilation), Groups = groups };
        if (withBias)
            GradCheck.Check(t => Tensors.Ops.Conv2d(t[0], t[1], t[2], options), [x, w, b], "conv2d");
        else
            GradCheck.Check(t => Tensors.Ops.Conv2d(t[0], t[1], null, options), [x, w], "conv2d no bias");
    }

    [Fact]
    public void Conv2d_IntOverload_MatchesOptions()
    {
        var rng = new Random(5);
        Tensor x = Tensor.RandomNormal(rng, 2, 4, 9, 8), w = Tensor.RandomNormal(rng, 6, 2, 3, 3), b = Tensor.RandomNormal(rng, 6);
        Tensor a = Tensors.Ops.Conv2d(x, w, b, stride: 2, padding: 1, dilation: 2, groups: 2);
        Tensor e = Tensors.Ops.Conv2d(x, w, b, new Conv2dOptions { Stride = (2, 2), Padding = (1, 1), Dilation = (2, 2), Groups = 2 });
        Assert.Equal(e.ToArray(), a.ToArray());
    }

    [Theory]
    [InlineData(8, 16, 3, 1, 1, 1)]   // im2col + GEMM
    [InlineData(8, 16, 1, 1, 0, 1)]   // pointwise GEMM
    [InlineData(8, 8, 3, 2, 1, 8)]    // depthwise direct
    public void Conv2d_SameInputsTwice_GivesBitIdenticalResults(int c, int o, int k, int stride, int padding, int groups)
    {
        var rng = new Random(2);
        Tensor x = Tensor.RandomNormal(rng, 5, c, 11, 10), w = Tensor.RandomNormal(rng, o, c / groups, k, k);
        Tensor b = Tensor.RandomNormal(rng, o), dy = Tensor.RandomNormal(rng, 5, o, (11 + 2 * padding - k) / stride + 1, (10 + 2 * padding - k) / stride + 1);
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (padding, padding), Groups = groups };

        float[][] Run()
        {
            using var tape = new Tape();
            Tensor xs = tape.Watch(x.Clone()), ws = tape.Watch(w.Clone()), bs = tape.Watch(b.Clone());
            Tensor y = Tensors.Ops.Conv2d(xs, ws, bs, options);
            GradStore g = tape.Backward(y, dy);
            return [y.ToArray(), g[xs]!.ToArray(), g[ws]!.ToArray(), g[bs]!.ToArray()];
        }

        float[][] first = Run(), second = Run();
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
    }

    /// <summary>"Same" stride-1 convs pack their im2col rows as shifted, masked input planes (Conv2dPacked.IsShiftable);
    /// blocks of 256 positions span images here (7 × 7 × 7 = 343 positions), and NaN in the input must reach exactly
    /// the outputs whose window covers it, as in the direct reference.</summary>
    [Theory]
    [InlineData(3, 3, 1, 1, 1, 1)]   // ResNet 3×3
    [InlineData(5, 5, 2, 2, 1, 1)]   // 5×5
    [InlineData(3, 3, 2, 2, 2, 1)]   // dilated
    [InlineData(3, 3, 1, 1, 1, 2)]   // grouped
    [InlineData(1, 3, 0, 1, 1, 1)]   // 1×3 with padding (0, 1)
    public void Conv2d_SameSizeStride1_PackedEqualsDirect(int kh, int kw, int ph, int pw, int dilation, int groups) =>
        PackedEqualsDirect(kh, kw, ph, pw, dilation, groups, stride: 1, height: 7, width: 6);

    /// <summary>Stride-2 convs halving an even-sized input pack from the input's four phase planes
    /// (Conv2dPacked.IsPhaseable); 7 images of 10 × 8 give 140 positions, blocks span images.</summary>
    [Theory]
    [InlineData(3, 3, 1, 1, 1, 1)]   // ResNet 3×3 downsampling conv
    [InlineData(3, 3, 2, 2, 2, 1)]   // dilated
    [InlineData(7, 7, 3, 3, 1, 1)]   // ResNet stem
    [InlineData(3, 3, 1, 1, 1, 2)]   // grouped
    [InlineData(5, 3, 2, 1, 1, 1)]   // non-square kernel
    public void Conv2d_HalvingStride2_PackedEqualsDirect(int kh, int kw, int ph, int pw, int dilation, int groups) =>
        PackedEqualsDirect(kh, kw, ph, pw, dilation, groups, stride: 2, height: 10, width: 8);

    /// <summary>Images larger than a block (36 × 20 = 720 output positions at stride 1, 180 at stride 2): most blocks lie in one
    /// image and pack straight into the panels.</summary>
    [Theory]
    [InlineData(3, 3, 1, 1, 1)]
    [InlineData(5, 5, 2, 2, 1)]
    [InlineData(7, 7, 3, 3, 2)]
    [InlineData(3, 3, 1, 1, 2)]
    public void Conv2d_ImageLargerThanABlock_PackedEqualsDirect(int kh, int kw, int ph, int pw, int stride) =>
        PackedEqualsDirect(kh, kw, ph, pw, dilation: 1, groups: 1, stride, height: 36, width: 20, batch: 2);

    private static void PackedEqualsDirect(int kh, int kw, int ph, int pw, int dilation, int groups, int stride, int height, int width,
        int batch = 7)
    {
        var rng = new Random(5);
        Tensor x = Tensor.RandomNormal(rng, batch, 4, height, width), w = Tensor.RandomNormal(rng, 6, 4 / groups, kh, kw), b = Tensor.RandomNormal(rng, 6);
        x.Data[0] = float.NaN;                        // image 0, channel 0, top-left corner
        x.Data[x.Length - 1] = float.PositiveInfinity; // last image, last channel, bottom-right corner
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (ph, pw), Dilation = (dilation, dilation), Groups = groups };
        Unravel.Tensors.Kernels.Conv2dGeometry g = Geometry(x, w, options);
        Assert.True(stride == 1 ? Unravel.Tensors.Kernels.Conv2dPacked.IsShiftable(g) : Unravel.Tensors.Kernels.Conv2dPacked.IsPhaseable(g));
        Tensor packed = Tensors.Ops.Conv2d(x, w, b, options, Conv2dAlgorithm.PackedGemm);
        Tensor direct = Tensors.Ops.Conv2d(x, w, b, options, Conv2dAlgorithm.Direct);
        Assert.Equal(direct.Shape.ToArray(), packed.Shape.ToArray());
        int nonFinite = 0;
        for (int i = 0; i < direct.Length; i++)
        {
            float e = direct.Data[i], a = packed.Data[i];
            Assert.Equal(float.IsFinite(e), float.IsFinite(a));
            if (!float.IsFinite(e)) nonFinite++;
            else Assert.True(Math.Abs(e - a) <= 1e-4f * (1 + Math.Abs(e)), $"element {i}: packed {a}, direct {e}");
        }
        Assert.InRange(nonFinite, 2, direct.Length / 4);   // both corners reached some outputs, far from all
    }

    [Theory]
    [InlineData(3, 3, 1, 1, 1, 1)]
    [InlineData(5, 5, 2, 2, 1, 1)]
    [InlineData(3, 3, 2, 2, 2, 1)]
    [InlineData(3, 3, 1, 1, 1, 2)]
    [InlineData(1, 3, 0, 1, 1, 1)]
    public void Conv2d_SameSizeStride1_PackedInputGradientEqualsDirect(int kh, int kw, int ph, int pw, int dilation, int groups)
    {
        var rng = new Random(6);
        Tensor x = Tensor.RandomNormal(rng, 7, 4, 7, 6), w = Tensor.RandomNormal(rng, 6, 4 / groups, kh, kw);
        Tensor dy = Tensor.RandomNormal(rng, 7, 6, 7, 6);
        var options = new Conv2dOptions { Padding = (ph, pw), Dilation = (dilation, dilation), Groups = groups };

        float[] InputGradient(Conv2dAlgorithm algorithm)
        {
            using var tape = new Tape();
            Tensor xs = tape.Watch(x.Clone());
            Tensor y = Tensors.Ops.Conv2d(xs, w, null, options, algorithm);
            return tape.Backward(y, dy)[xs]!.ToArray();
        }

        float[] packed = InputGradient(Conv2dAlgorithm.PackedGemm), direct = InputGradient(Conv2dAlgorithm.Direct);
        for (int i = 0; i < direct.Length; i++)
            Assert.True(Math.Abs(direct[i] - packed[i]) <= 1e-4f * (1 + Math.Abs(direct[i])), $"element {i}: packed {packed[i]}, direct {direct[i]}");
    }

    private static Unravel.Tensors.Kernels.Conv2dGeometry Geometry(Tensor x, Tensor w, Conv2dOptions o) =>
        new(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), w.Dim(0), w.Dim(2), w.Dim(3), o.Stride.Item1, o.Stride.Item2,
            o.Padding.Item1, o.Padding.Item2, o.Dilation.Item1, o.Dilation.Item2, o.Groups);

    [Fact]
    public void Conv2d_Select_FollowsTheMeasuredRule()
    {
        Assert.Equal(Conv2dAlgorithm.Direct, Tensors.Ops.Conv2dSelect(Geometry(32, 32, 3, 1, 1, groups: 32)));
        Assert.Equal(Conv2dAlgorithm.PackedGemm, Tensors.Ops.Conv2dSelect(Geometry(64, 256, 1, 1, 0, groups: 1)));
        Assert.Equal(Conv2dAlgorithm.Winograd, Tensors.Ops.Conv2dSelect(Geometry(64, 64, 3, 1, 1, groups: 1)));
        Assert.Equal(Conv2dAlgorithm.PackedGemm, Tensors.Ops.Conv2dSelect(Geometry(64, 128, 1, 2, 0, groups: 1)));
    }

    [Fact]
    public void Conv2d_ChannelMismatch_ThrowsNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.Conv2d(Tensor.Zeros(2, 3, 8, 8), Tensor.Zeros(4, 5, 3, 3), null));
        Assert.Contains("conv2d", e.Message);
        Assert.Contains("[2, 3, 8, 8]", e.Message);
        Assert.Contains("[4, 5, 3, 3]", e.Message);
    }

    [Fact]
    public void Conv2d_BadBiasRankGroupsOrKernel_ThrowsNamingOpAndShapes()
    {
        Tensor x = Tensor.Zeros(1, 4, 5, 5);
        AssertThrowsNaming(() => Tensors.Ops.Conv2d(x, Tensor.Zeros(6, 4, 3, 3), Tensor.Zeros(5)), "[5]", "[6, 4, 3, 3]");
        AssertThrowsNaming(() => Tensors.Ops.Conv2d(Tensor.Zeros(4, 5, 5), Tensor.Zeros(6, 4, 3, 3), null), "[4, 5, 5]", "[6, 4, 3, 3]");
        AssertThrowsNaming(() => Tensors.Ops.Conv2d(x, Tensor.Zeros(5, 2, 3, 3), null, stride: 1, groups: 2), "[1, 4, 5, 5]", "[5, 2, 3, 3]");
        AssertThrowsNaming(() => Tensors.Ops.Conv2d(x, Tensor.Zeros(2, 4, 7, 3), null), "[1, 4, 5, 5]", "[2, 4, 7, 3]");
        AssertThrowsNaming(() => Tensors.Ops.Conv2d(x, Tensor.Zeros(2, 4, 3, 3), null, stride: 0), "[1, 4, 5, 5]", "[2, 4, 3, 3]");
    }

    private static void AssertThrowsNaming(Action act, string shapeA, string shapeB)
    {
        var e = Assert.Throws<ArgumentException>(act);
        Assert.Contains("conv2d", e.Message);
        Assert.Contains(shapeA, e.Message);
        Assert.Contains(shapeB, e.Message);
    }

    private static Unravel.Tensors.Kernels.Conv2dGeometry Geometry(int c, int o, int k, int stride, int padding, int groups) =>
        new(8, c, 56, 56, o, k, k, stride, stride, padding, padding, 1, 1, groups);

    private static Conv2dOptions OptionsOf(OpCase c)
    {
        int[] s = c.Ints("stride"), p = c.Ints("padding"), d = c.Ints("dilation");
        return new Conv2dOptions { Stride = (s[0], s[1]), Padding = (p[0], p[1]), Dilation = (d[0], d[1]), Groups = c.Int("groups") };
    }
}
