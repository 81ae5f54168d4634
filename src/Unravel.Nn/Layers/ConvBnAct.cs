// Inference fast path for conv → batch norm → (+ residual) → ReLU chains (torchvision ResNet blocks and stems): one
// fused op (Ops.Conv2dAffine) instead of a convolution and three elementwise passes. It is taken only where nothing can
// observe the skipped intermediates: eval mode, no hook matching a hook name inside the module, no parameter tracked by a
// tape, and the input either untracked or tracked by a tape with FuseInference (then the fused op records one node).
// Otherwise callers run their modules one by one, hooks and tape nodes included. The
// fused values are bit-identical to the module chain (see Kernels/Conv2dEpilogue.cs).

namespace Unravel.Nn.Layers;

/// <summary>The fused inference path of a Conv2d → BatchNorm2d → (+ residual) → ReLU chain.</summary>
public static class ConvBnAct
{
    /// <summary>True when <paramref name="module"/> may run fused: eval mode, no hook on a point inside it (its own output
    /// included), no parameter of the module tracked, and <paramref name="x"/> untracked or tracked by a tape with
    /// <see cref="Unravel.Tensors.Autograd.Tape.FuseInference"/>.</summary>
    public static bool CanFuse(Module module, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(x);
        if (module.Training || x.IsTracked && x.Tape is not { FuseInference: true }) return false;
        // Only hooks inside the module matter: a hook elsewhere (e.g. a stage output being collected) still sees exactly
        // what it would without fusion.
        if (module.Hooks.Count > 0 && module.Hooks.AnyMatch(module.Modules().SelectMany(m => m.HookNames()))) return false;
        foreach (Parameter p in module.Parameters())
            if (p.Value.IsTracked) return false;
        // A split convolution computes through its expanded rows and merge; the fused op would run its merged weights.
        foreach (Module m in module.Modules())
            if (m is SplitConv2d) return false;
        return true;
    }

    /// <summary>act(bn(conv(x)) + residual) in one op, with <paramref name="bn"/> in eval mode (its running statistics).</summary>
    /// <param name="conv">The convolution.</param>
    /// <param name="bn">The batch norm after it, or null for none.</param>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="residual">Added after the batch norm, or null.</param>
    /// <param name="relu">Apply ReLU last.</param>
    /// <param name="consumeResidual">The caller gives up <paramref name="residual"/>: the result may be written over it
    /// (see <see cref="Ops.Conv2dAffine"/>).</param>
    /// <returns>[N, O, OH, OW]; the residual tensor itself when its storage took the result.</returns>
    /// <remarks>Only valid where <see cref="CanFuse"/> holds; the hooks of conv and bn do not fire.</remarks>
    public static Tensor Forward(Conv2d conv, BatchNorm2d? bn, Tensor x, Tensor? residual = null, bool relu = false, bool consumeResidual = false)
    {
        ArgumentNullException.ThrowIfNull(conv);
        Tensor? scale = null, shift = null;
        if (bn is not null)
        {
            (float[] sc, float[] sh) = bn.EvalAffine();
            scale = Tensor.FromArray(sc);
            shift = Tensor.FromArray(sh);
        }
        return Ops.Conv2dAffine(x, conv.W.Value, conv.B?.Value, conv.Options, scale, shift, residual, relu, consumeResidual);
    }
}
