using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Ops;

public sealed class CrossEntropyTests
{
    public static TheoryData<string> Cases => OpCase.Names("loss", "cross_entropy");

    [Theory]
    [MemberData(nameof(Cases))]
    public void CrossEntropy_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("loss", name);
        int[] targets = c.IntInput("targets");
        OpCheck.ForwardAndBackward(c, x => Tensors.Ops.CrossEntropy(x["logits"], targets, c.Int("ignore_index"), c.Float("label_smoothing")));
    }

    [Theory]
    [InlineData(0f, -100)]
    [InlineData(0.2f, -100)]
    [InlineData(0.1f, 1)]
    public void CrossEntropy_CentralDifference(float smoothing, int ignoreIndex)
    {
        Tensor logits = Tensor.RandomNormal(new Random(51), 4, 5);
        int[] targets = [1, 4, 0, 2];
        GradCheck.Check(x => Tensors.Ops.CrossEntropy(x[0], targets, ignoreIndex, smoothing), [logits], "cross_entropy");
    }

    [Fact]
    public void CrossEntropy_UniformLogits_IsLogC()
    {
        // softmax of equal logits is 1/C, so the loss is log C whatever the targets (and with any smoothing).
        Tensor loss = Tensors.Ops.CrossEntropy(Tensor.Full(0.3f, 3, 8), [0, 7, 3], labelSmoothing: 0.3f);
        Assert.Equal(MathF.Log(8f), loss.ToScalar(), 5);
    }

    [Fact]
    public void CrossEntropy_AllIgnored_IsNaNWithZeroGradient()
    {
        // PyTorch returns 0/0 = NaN for the mean over no targets.
        using var tape = new Tape();
        Tensor logits = tape.Watch(Tensor.RandomNormal(new Random(52), 2, 3));
        Tensor loss = Tensors.Ops.CrossEntropy(logits, [-100, -100]);
        Assert.True(float.IsNaN(loss.ToScalar()));
        GradStore g = tape.Backward(loss);
        Assert.All((g[logits] ?? Tensor.Zeros(2, 3)).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void CrossEntropy_TargetOutOfRange_ThrowsNamingTargetAndClasses()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.CrossEntropy(Tensor.Zeros(2, 5), [1, 5]));
        Assert.Contains("cross_entropy", e.Message);
        Assert.Contains("target 5", e.Message);
        Assert.Contains("5 classes", e.Message);
        Assert.Throws<ArgumentException>(() => Tensors.Ops.CrossEntropy(Tensor.Zeros(2, 5), [-1, 0]));
    }

    [Fact]
    public void CrossEntropy_WrongShapes_ThrowNamingOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.Ops.CrossEntropy(Tensor.Zeros(2, 5), [1, 2, 3]));
        Assert.Contains("cross_entropy", e.Message);
        Assert.Contains("[2, 5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.CrossEntropy(Tensor.Zeros(5), [1]));
        Assert.Contains("[5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensors.Ops.CrossEntropy(Tensor.Zeros(2, 5), [1, 2], labelSmoothing: 1.5f));
        Assert.Contains("labelSmoothing", e.Message);
    }
}
