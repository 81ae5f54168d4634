// Runs one fixture case through an op: forward against the fixture output, then backward with the fixture's
// upstream gradient against the fixture's input gradients.

using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors.Tests.Support;

public static class OpCheck
{
    /// <summary>Checks forward and all input gradients of a single-output op.</summary>
    /// <param name="run">Builds the op from the (watched) inputs, by fixture name.</param>
    public static void ForwardAndBackward(OpCase c, Func<IReadOnlyDictionary<string, Tensor>, Tensor> run,
        float fwdAtol = TensorAssert.ForwardAtol, float fwdRtol = TensorAssert.ForwardRtol,
        float gradAtol = TensorAssert.GradAtol, float gradRtol = TensorAssert.GradRtol)
    {
        using var tape = new Tape();
        var inputs = new Dictionary<string, Tensor>();
        foreach (string name in c.InputNames)
        {
            Tensor t = c.Input(name);
            inputs[name] = c.HasGrad(name) ? tape.Watch(t) : t;
        }
        Tensor y = run(inputs);
        TensorAssert.Close(c.Output(), y, fwdAtol, fwdRtol, $"{c.Name} forward");
        if (!c.GradNames.Any()) return;
        GradStore grads = tape.Backward(y, c.GradOut());
        foreach (string name in c.GradNames)
        {
            Tensor g = grads[inputs[name]] ?? Tensor.Zeros(inputs[name].Shape.ToArray());
            TensorAssert.Close(c.Grad(name), g, gradAtol, gradRtol, $"{c.Name} d{name}");
        }
    }
}
