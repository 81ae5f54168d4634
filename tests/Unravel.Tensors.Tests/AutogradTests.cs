using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests;

public sealed class AutogradTests
{
    [Fact]
    public void Backward_SharedInput_AccumulatesBothPaths()
    {
        // y = x·x + x  ⇒  dy/dx = 2x + 1
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray([1f, -2f, 3f]));
        Tensor y = x * x + x;
        GradStore g = tape.Backward(y);
        TensorAssert.ForwardClose(Tensor.FromArray([3f, -3f, 7f]), g[x]!, "dx");
    }

    [Fact]
    public void Backward_IntoExistingStore_AccumulatesAcrossCalls()
    {
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray([2f, 5f]));
        Tensor y = x * x;                      // dy/dx = 2x
        GradStore g = tape.Backward(y);
        tape.Backward(y, into: g);
        TensorAssert.ForwardClose(Tensor.FromArray([8f, 20f]), g[x]!, "dx twice");
    }

    [Fact]
    public void Backward_IntermediateGradient_IsAvailable()
    {
        // h = 3x, y = h·h ⇒ dy/dh = 2h = 6x
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray([1f, 2f]));
        Tensor h = x * Tensor.Scalar(3f);
        Tensor y = h * h;
        GradStore g = tape.Backward(y, seed: Tensor.FromArray([1f, 0.5f]));
        TensorAssert.ForwardClose(Tensor.FromArray([6f, 6f]), g[h]!, "dh");
        TensorAssert.ForwardClose(Tensor.FromArray([18f, 18f]), g[x]!, "dx");
    }

    [Fact]
    public void Ops_WithoutTape_RecordNothing()
    {
        Tensor x = Tensor.FromArray([1f, 2f]);
        Tensor y = x * x;
        Assert.False(y.IsTracked);
        using var tape = new Tape();
        Assert.Empty(tape.Nodes);
    }

    [Fact]
    public void DisposedTape_StopsTracking()
    {
        var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray([1f]));
        tape.Dispose();
        Assert.False((x * x).IsTracked);
    }

    [Fact]
    public void Backward_SeedShapeMismatch_Throws()
    {
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.Zeros(2, 3));
        Tensor y = x + x;
        var e = Assert.Throws<ArgumentException>(() => tape.Backward(y, Tensor.Zeros(3, 2)));
        Assert.Contains("[3, 2]", e.Message);
    }

    [Fact]
    public void Reshape_IsViewAndGradientFlows()
    {
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3));
        Tensor v = x.Reshape(3, -1);
        Assert.Equal([3, 2], v.Shape.ToArray());
        x.Data[0] = 10f;
        Assert.Equal(10f, v[0, 0]);
        GradStore g = tape.Backward(v * v);
        Assert.Equal(20f, g[x]![0, 0]);
        Assert.Throws<ArgumentException>(() => x.Reshape(4, 2));
    }
}
