// Convolution with a fused per-channel epilogue, for inference: y = act(conv2d(x, W, b) · scale + shift + residual).
// It is the conv → BatchNorm2d (eval) → (+ identity) → ReLU chain of a ResNet block in one op: the epilogue is applied
// while each output block is still in cache (Kernels/Conv2dEpilogue.cs), so the three elementwise passes and their
// three full-size outputs disappear. The values are bit-identical to the separate ops. When any input is tracked by a
// tape, the op is computed as those separate ops instead, so gradients (and LRP rules) see the ordinary graph; except
// when the tape allows it (Tape.FuseInference) and only x and the residual are tracked: then the fused op records one
// node whose backward is dz = dy·[y > 0], d_residual = dz, dx = conv2dᵀ(dz·scale).

using System.Buffers;
using System.Runtime.Intrinsics;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>act(conv2d(x, weight, bias) · scale + shift + residual), scale and shift per output channel.</summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="weight">[O, C/groups, KH, KW].</param>
    /// <param name="bias">[O], or null.</param>
    /// <param name="options">Stride, padding, dilation and groups; <see cref="Conv2dOptions.Default"/> when null.</param>
    /// <param name="scale">[O], or null for 1 (then <paramref name="shift"/> must be null too). For a batch norm in eval
    /// mode: weight / √(running_var + eps), computed as 1 / √(·) times weight, as <see cref="BatchNorm2d"/> does.</param>
    /// <param name="shift">[O], or null. For a batch norm: bias − running_mean · scale.</param>
    /// <param name="residual">[N, O, OH, OW] added after the affine step, or null.</param>
    /// <param name="relu">Apply ReLU last.</param>
    /// <param name="consumeResidual">The caller gives up <paramref name="residual"/> (nothing reads it after this op): when
    /// no tape records the op and the packed or Winograd path computes it, the result is written over the residual's
    /// storage (each element read before it is written) and the residual tensor itself is returned, so the pass needs no
    /// second output buffer and writes to lines it has just read. Otherwise a new tensor is returned as usual.</param>
    /// <returns>[N, O, OH, OW]; the residual tensor itself when it was consumed.</returns>
    /// <remarks>Effectively computes Relu(Add(Add(Mul(Conv2d(x, weight, bias), scale), shift), residual)) with scale and
    /// shift broadcast over [O, 1, 1], each step rounded as that op rounds it.</remarks>
    /// <exception cref="ArgumentException">The convolution's operands do not fit (see Conv2d), scale and shift are not both
    /// [O] or both null, or the residual's shape differs from the output's.</exception>
    public static Tensor Conv2dAffine(Tensor x, Tensor weight, Tensor? bias, Conv2dOptions? options, Tensor? scale, Tensor? shift,
        Tensor? residual, bool relu, bool consumeResidual = false)
    {
        using KernelTimer timer = KernelTimer.Begin("conv", x, weight);
        Conv2dOptions o = options ?? Conv2dOptions.Default;
        Conv2dGeometry g = Conv2dShape(x, weight, bias, o);
        if ((scale is null) != (shift is null) || scale is not null && (scale.Rank != 1 || scale.Dim(0) != g.OutChannels || shift!.Rank != 1 || shift.Dim(0) != g.OutChannels))
            throw new ArgumentException(
                $"conv2d_affine: scale {scale?.ShapeString ?? "none"} and shift {shift?.ShapeString ?? "none"} must both be [{g.OutChannels}] or both be absent (weight {weight.ShapeString}).",
                nameof(scale));
        int[] outShape = [g.Batch, g.OutChannels, g.OutH, g.OutW];
        if (residual is not null && !residual.Shape.SequenceEqual(outShape))
            throw new ArgumentException(
                $"conv2d_affine: residual {residual.ShapeString} differs from the output {ShapeRules.Format(outShape)} of input {x.ShapeString} and weight {weight.ShapeString}.",
                nameof(residual));

        if (Autograd.Tape.Of([x, weight, bias, scale, shift, residual]) is { } tape)
        {
            bool parameters = weight.IsTracked || bias?.IsTracked == true || scale?.IsTracked == true || shift?.IsTracked == true;
            if (tape.FuseInference && !parameters)
            {
                Tensor fused = Conv2dAffine(x.Detach(), weight, bias, o, scale, shift, residual?.Detach(), relu);
                Tensor[] inputs = residual is null ? [x, weight] : [x, weight, residual];
                tape.Record("conv2d_affine", fused, inputs, Conv2dAffineBackward, new Conv2dAffineState(g, Conv2dSelect(g), scale, relu));
                return fused;
            }
            Tensor t = Conv2d(x, weight, bias, o);
            if (scale is not null) t = Add(Mul(t, scale.Reshape(g.OutChannels, 1, 1)), shift!.Reshape(g.OutChannels, 1, 1));
            if (residual is not null) t = Add(t, residual);
            return relu ? Relu(t) : t;
        }

        Conv2dAlgorithm alg = Conv2dSelect(g);
        bool inPlace = consumeResidual && residual is not null && !ReferenceEquals(residual, x);
        if (alg == Conv2dAlgorithm.PackedGemm)
        {
            Tensor y = inPlace ? residual! : TensorStorage.Uninitialized(outShape);
            Conv2dPacked.Forward(x.Data, weight.Data, bias is null ? default : bias.Data, y.Data, g,
                scale is null ? default : scale.Data, shift is null ? default : shift.Data, residual is null ? default : residual.Data, relu, weight);
            return y;
        }
        if (alg == Conv2dAlgorithm.Winograd)
        {
            Tensor y = inPlace ? residual! : TensorStorage.Uninitialized(outShape);
            Conv2dPacked.WinogradForward(x.Data, weight.Data, bias is null ? default : bias.Data, y.Data, g,
                scale is null ? default : scale.Data, shift is null ? default : shift.Data, residual is null ? default : residual.Data, relu, weight);
            return y;
        }
        // Other paths: the plain convolution, then the epilogue in place, one pass parallel over (image, channel) planes.
        Tensor z = Conv2d(x, weight, bias, o, alg);
        int ohw = g.OutH * g.OutW;
        Parallelism.For(g.Batch * g.OutChannels, Math.Max(1, ElementwiseParallel.MinPerChunk / Math.Max(1, ohw)), (p0, p1) =>
        {
            unsafe
            {
                fixed (float* pz = z.Data, psc = scale is null ? default : scale.Data, psh = shift is null ? default : shift.Data,
                       pr = residual is null ? default : residual.Data)
                {
                    var e = new Conv2dEpilogue.Pointers(null, psc, psh, pr, relu);
                    for (int p = p0; p < p1; p++)
                        Conv2dEpilogue.Apply(pz + (nint)p * ohw, pz + (nint)p * ohw, e, p % g.OutChannels, (nint)p * ohw, ohw);
                }
            }
        });
        return z;
    }

    private sealed record Conv2dAffineState(Conv2dGeometry Geometry, Conv2dAlgorithm Algorithm, Tensor? Scale, bool Relu);

    /// <summary>Backward of the fused node for x and the residual (parameters are never tracked here).</summary>
    private static void Conv2dAffineBackward(Autograd.Node node, Tensor dy, Autograd.GradStore grads)
    {
        var state = (Conv2dAffineState)node.State!;
        Conv2dGeometry g = state.Geometry;
        Tensor x = node.Inputs[0], weight = node.Inputs[1];
        Tensor? residual = node.Inputs.Count > 2 ? node.Inputs[2] : null;
        bool wantResidual = residual is not null && grads.Wants(residual), wantX = grads.Wants(x);
        if (!wantResidual && !wantX) return;
        // One pass per (image, channel) plane: dz = dy·[y > 0] goes to the residual, dz·scale to the conv's input gradient.
        // The residual's gradient takes over dy's buffer when the walk drops intermediates and it has none yet (the
        // usual case: the block's last node runs first); the masking then happens in place.
        bool fresh = false;
        Tensor? dr = null;
        if (wantResidual && grads.TryAdopt(residual!, dy)) (dr, fresh) = (dy, true);
        else if (wantResidual) dr = grads.ForWrite(residual!, out fresh);
        Tensor? scale = state.Scale;
        // dz lives only for this node: a pooled array, not a fresh tensor (a ResNet-50 batch-16 input gradient otherwise
        // allocated a third of its 2 GB there, with the page faults that come with fresh memory).
        float[]? pooled = wantX && (state.Relu || scale is not null) ? ArrayPool<float>.Shared.Rent(dy.Length) : null;
        try
        {
            Tensor dz = pooled is null ? dy : Tensor.OverPrefix(pooled, dy.Shape.ToArray());
            int ohw = g.OutH * g.OutW, channels = g.OutChannels;
            if (!ReferenceEquals(dz, dy) || dr is not null)
                Parallelism.For(g.Batch * channels, Math.Max(1, ElementwiseParallel.MinPerChunk / Math.Max(1, ohw)), (p0, p1) =>
                {
                    for (int p = p0; p < p1; p++)
                    {
                        int at = p * ohw;
                        MaskScalePlane(node.Output.Data.Slice(at, ohw), dy.Data.Slice(at, ohw), state.Relu, scale?.Data[p % channels] ?? 1f,
                            dr is null ? default : dr.Data.Slice(at, ohw), fresh, ReferenceEquals(dz, dy) ? default : dz.Data.Slice(at, ohw));
                    }
                });
            if (!wantX) return;
            Tensor dx = grads.For(x);
            if (state.Algorithm == Conv2dAlgorithm.Winograd) Conv2dPacked.WinogradBackwardInput(dz.Data, weight.Data, dx.Data, g, weight);
            else if (state.Algorithm == Conv2dAlgorithm.PackedGemm) Conv2dPacked.BackwardInput(dz.Data, weight.Data, dx.Data, g, weight);
            else if (state.Algorithm == Conv2dAlgorithm.Direct) Conv2dDirectBackward(x, weight, dz, dx, null, g);
            else if (state.Algorithm == Conv2dAlgorithm.Blocked) Conv2dBlockedBackwardInput(weight, dz, dx, g);
            else Conv2dGemmBackward(x, weight, dz, dx, null, g, state.Algorithm == Conv2dAlgorithm.Pointwise);
        }
        finally
        {
            if (pooled is not null) ArrayPool<float>.Shared.Return(pooled);
        }
    }

    /// <summary>v = relu ? dy·[y &gt; 0] : dy; residual = v (fresh) or += v when given; scaled = v·scale when given.</summary>
    private static void MaskScalePlane(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, bool relu, float scale, Span<float> residual, bool fresh,
        Span<float> scaled)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(scale);
            for (; i <= dy.Length - 8; i += 8)
            {
                var v = Vector256.Create(dy.Slice(i, 8));
                if (relu) v &= Vector256.GreaterThan(Vector256.Create(y.Slice(i, 8)),
                    Vector256<float>.Zero);
                if (!residual.IsEmpty)
                    (fresh ? v : Vector256.Create(residual.Slice(i, 8)) + v).CopyTo(residual.Slice(i, 8));
                if (!scaled.IsEmpty) (v * s).CopyTo(scaled.Slice(i, 8));
            }
        }
        for (; i < dy.Length; i++)
        {
            float v = !relu || y[i] > 0f ? dy[i] : 0f;
            if (!residual.IsEmpty) residual[i] = fresh ? v : residual[i] + v;
            if (!scaled.IsEmpty) scaled[i] = v * scale;
        }
    }
}
