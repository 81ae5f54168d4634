// Inverted dropout (Srivastava et al. 2014, JMLR 15): in training each element is kept with probability 1 - p and
// scaled by 1 / (1 - p), so evaluation needs no rescaling. y = x · m, dx += dy · m with m ∈ {0, 1/(1-p)} saved.
// The mask comes from the caller's Random, so a seed reproduces it; it cannot reproduce torch's RNG stream.

using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>Inverted dropout; any shape.</summary>
    /// <param name="x">Input of any shape.</param>
    /// <param name="p">Probability of zeroing an element, in [0, 1).</param>
    /// <param name="training">When false (or when p is 0) the op is the identity.</param>
    /// <param name="rng">Source of the mask; one draw per element in row-major order, only when a mask is drawn.</param>
    /// <returns>In training, a new tensor; otherwise a view of <paramref name="x"/> (same storage), recorded on the
    /// tape with an identity gradient so the graph and the tensor identities stay the same in both modes.</returns>
    /// <remarks>Effectively computes y = x · m, m[i] = (u[i] ≥ p) / (1 - p) with u[i] uniform in [0, 1).</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is NaN or outside [0, 1).</exception>
    /// <exception cref="ArgumentNullException"><paramref name="rng"/> is null while a mask is needed.</exception>
    public static Tensor Dropout(Tensor x, float p, bool training, Random rng)
    {
        if (!(p >= 0f && p < 1f))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout: p must be in [0, 1), got {p} (input {x.ShapeString}).");
        if (!training || p == 0f)
        {
            Tensor view = x.ViewAs(x.Shape.ToArray());
            Tape.Of(x)?.Record("dropout", view, [x], DropoutBackward, null);
            return view;
        }
        ArgumentNullException.ThrowIfNull(rng);

        // Mask values are the final multipliers, so forward and backward are one multiply each.
        float scale = 1f / (1f - p);
        var mask = new float[x.Length];
        for (int i = 0; i < mask.Length; i++)
            mask[i] = rng.NextDouble() >= p ? scale : 0f;
        Tensor y = Tensor.Zeros(x.Shape.ToArray());
        TensorPrimitives.Multiply(x.Data, mask, y.Data);
        Tape.Of(x)?.Record("dropout", y, [x], DropoutBackward, new DropoutState(mask));
        return y;
    }

    private sealed record DropoutState(float[] Mask);

    private static void DropoutBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0];
        if (!grads.Wants(x)) return;
        Span<float> dx = grads.For(x).Data;
        if (node.State is DropoutState state) TensorPrimitives.MultiplyAdd(dy.Data, state.Mask, dx, dx);
        else TensorPrimitives.Add(dx, dy.Data, dx);
    }
}
