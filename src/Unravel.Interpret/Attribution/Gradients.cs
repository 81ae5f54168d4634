// Gradient-based attributions: the plain input gradient (Simonyan et al. 2013, https://arxiv.org/abs/1312.6034),
// gradient × input (Shrikumar et al. 2016, https://arxiv.org/abs/1605.01713) and integrated gradients (Sundararajan
// et al. 2017, "Axiomatic Attribution for Deep Networks", https://arxiv.org/abs/1703.01365) with the paper's
// straight-line Riemann sum IG ≈ (x − x′) ⊙ (1/m) Σ_{k=1..m} ∇f(x′ + k/m·(x − x′)).
// Each is one taped forward and one backward per evaluation point (IG: m of them), reusing the tape walk.

using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution;

/// <summary>Gradient, gradient × input and integrated gradients of a model output with respect to its input.</summary>
public static class Gradients
{
    /// <summary>∂f_c/∂x for the target class c of each row.</summary>
    /// <param name="forward">The model's forward (in eval mode): [N, ...] → [N, Classes].</param>
    /// <param name="input">[N, ...]; not modified.</param>
    /// <param name="target">Classes to explain; the seed mode is ignored (always 1).</param>
    /// <returns>The gradient, shaped like <paramref name="input"/>, and the resolved classes.</returns>
    /// <exception cref="ArgumentException">The output is not [N, Classes] or a class is out of range.</exception>
    public static (Tensor Gradient, int[] Classes) Gradient(Func<Tensor, Tensor> forward, Tensor input, AttributionTarget? target = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(input);
        // Inside a caller's TensorArena scope, the pass's activations and gradients are reused from batch to batch; only
        // the input gradient is copied out.
        using ArenaScope scope = TensorArena.BeginNested();
        // Only the input's gradient is read: intermediates are dropped, and conv → BN → ReLU chains may run fused.
        using var tape = new Tape { KeepIntermediateGradients = false, FuseInference = true };
        Tensor x = tape.Watch(input.Clone());
        Tensor logits = forward(x);                                              // [N, K]
        AttributionTarget t = (target ?? AttributionTarget.Predicted) with { Seed = SeedMode.One };
        int[] classes = t.Resolve(logits);
        GradStore grads = tape.Backward(logits, t.SeedFor(logits, classes));
        return (scope.Keep(grads[x] ?? Tensor.Zeros(input.Shape.ToArray())), classes);
    }

    /// <summary>x ⊙ ∂f_c/∂x (equal to LRP-0 on ReLU networks with zero biases).</summary>
    /// <inheritdoc cref="Gradient"/>
    public static (Tensor Attribution, int[] Classes) GradientTimesInput(Func<Tensor, Tensor> forward, Tensor input, AttributionTarget? target = null)
    {
        (Tensor g, int[] classes) = Gradient(forward, input, target);
        return (Elementwise.Multiply(g, input), classes);
    }

    /// <summary>Integrated gradients along the straight line from <paramref name="baseline"/> to <paramref name="input"/>.</summary>
    /// <param name="forward">The model's forward (in eval mode).</param>
    /// <param name="input">[N, ...].</param>
    /// <param name="target">Classes to explain (resolved at <paramref name="input"/>, e.g. its predicted class).</param>
    /// <param name="baseline">x′, shaped like the input; zeros when null.</param>
    /// <param name="steps">m ≥ 1 evaluation points k/m, k = 1..m (right Riemann sum).</param>
    /// <returns>(x − x′) ⊙ mean gradient; its sum approximates f_c(x) − f_c(x′) (completeness).</returns>
    /// <exception cref="ArgumentException">steps &lt; 1, or the baseline's shape differs from the input's.</exception>
    /// <remarks>Effectively computes IG_i = (x_i − x′_i) · (1/m) Σ_{k=1..m} ∂f_c/∂x_i (x′ + k/m·(x − x′)).</remarks>
    public static (Tensor Attribution, int[] Classes) IntegratedGradients(Func<Tensor, Tensor> forward, Tensor input,
        AttributionTarget? target = null, Tensor? baseline = null, int steps = 32)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(input);
        if (steps < 1) throw new ArgumentException($"integrated gradients: steps must be ≥ 1, got {steps}.", nameof(steps));
        if (baseline is not null && !baseline.Shape.SequenceEqual(input.Shape))
            throw new ArgumentException($"integrated gradients: baseline {baseline.ShapeString} differs from input {input.ShapeString}.", nameof(baseline));
        Tensor x0 = baseline ?? Tensor.Zeros(input.Shape.ToArray());
        Tensor delta = Elementwise.AddScaled(input, x0, -1f);                     // x − x′

        int[] classes = (target ?? AttributionTarget.Predicted).Resolve(forward(input.Clone()));
        var fixedTarget = new AttributionTarget(classes, SeedMode.One);
        Tensor sum = Tensor.Zeros(input.Shape.ToArray());
        for (int k = 1; k <= steps; k++)
        {
            Tensor point = Elementwise.AddScaled(x0, delta, (float)k / steps);    // x′ + k/m·(x − x′)
            (Tensor g, _) = Gradient(forward, point, fixedTarget);
            System.Numerics.Tensors.TensorPrimitives.Add(sum.Data, g.Data, sum.Data);
        }
        System.Numerics.Tensors.TensorPrimitives.Multiply(sum.Data, 1f / steps, sum.Data);
        return (Elementwise.Multiply(sum, delta), classes);
    }
}
