// KernelTimer: what `unravel-bench models --kernels` reads as our side of the per-op table. Planted call sequences:
// every call of an instrumented op on the recording thread lands in its (kind, shapes) bucket, an op that computes through another (a depthwise
// Conv2dAffine runs Conv2d, then its epilogue) is counted once under its own operands, and nothing is kept while off.

namespace Unravel.Tensors.Tests.Profiling;

public sealed class KernelTimerTests
{
    [Fact]
    public void Recording_CountsEachOutermostOpOnceUnderItsShapes()
    {
        var rng = new Random(3);
        Tensor a = Tensor.RandomNormal(rng, 2, 3), b = Tensor.RandomNormal(rng, 2, 3);
        Tensor x = Tensor.RandomNormal(rng, 1, 4, 5, 5), w = Tensor.RandomNormal(rng, 4, 1, 3, 3);   // depthwise: groups 4
        Tensor scale = Tensor.RandomNormal(rng, 4), shift = Tensor.RandomNormal(rng, 4);
        var options = new Conv2dOptions { Padding = (1, 1), Groups = 4 };

        KernelTimer.Start();
        for (int i = 0; i < 3; i++) Unravel.Tensors.Ops.Add(a, b);
        Tensor y = Unravel.Tensors.Ops.Conv2dAffine(x, w, null, options, scale, shift, null, relu: true);
        Unravel.Tensors.Ops.Relu(y);
        var buckets = KernelTimer.Stop().ToDictionary(e => (e.Kind, e.Shapes));

        Assert.Equal(3, buckets.Count);
        Assert.Equal(3, buckets[("elementwise", "[2, 3] [2, 3]")].Calls);
        Assert.Equal(1, buckets[("conv", "[1, 4, 5, 5] [4, 1, 3, 3]")].Calls);       // its inner Conv2d is not a second entry
        Assert.Equal(1, buckets[("elementwise", "[1, 4, 5, 5]")].Calls);             // the Relu after it
        Assert.All(buckets.Values, e => Assert.True(e.Ms > 0 && e.Ms < 10_000, $"{e.Kind} {e.Shapes}: {e.Ms} ms"));
    }

    [Fact]
    public void Off_KeepsNothing()
    {
        Tensor a = Tensor.RandomNormal(new Random(4), 8);
        Assert.Empty(KernelTimer.Stop());              // not started: an empty result
        Unravel.Tensors.Ops.Add(a, a);
        KernelTimer.Start();
        Assert.Empty(KernelTimer.Stop());              // the call before Start is not in the recording
        Unravel.Tensors.Ops.Add(a, a);
        Assert.Empty(KernelTimer.Stop());              // nor the call after Stop
    }
}
