// Batch normalisation over NCHW channels with running statistics (torch.nn.BatchNorm2d, affine, tracked stats).

namespace Unravel.Nn.Layers;

/// <summary>torch.nn.BatchNorm2d: batch statistics in training (updating the running ones), running statistics in eval.</summary>
public sealed class BatchNorm2d : Module
{
    public BatchNorm2d(WeightSource ws, int channels, float eps = 1e-5f, float momentum = 0.1f) : base(ws)
    {
        Channels = channels;
        Eps = eps;
        Momentum = momentum;
        W = Weight(ws, "weight", [channels], Init.Ones);
        B = Weight(ws, "bias", [channels], Init.Zeros);
        RunningMean = Buffer(ws, "running_mean", [channels], Init.Zeros);
        RunningVar = Buffer(ws, "running_var", [channels], Init.Ones);
        NumBatchesTracked = Buffer(ws, "num_batches_tracked", [], Init.Zeros);
    }

    public int Channels { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public Parameter W { get; }
    public Parameter B { get; }
    public Parameter RunningMean { get; }
    public Parameter RunningVar { get; }

    /// <summary>A 0-d counter, as in PyTorch state dicts.</summary>
    public Parameter NumBatchesTracked { get; }

    /// <summary>The per-channel affine map this layer computes in eval mode, y = x · scale + shift: the one fold that the
    /// fused conv+BN forward, the LRP batch-norm canonizer and PURE's block backward share.</summary>
    /// <remarks>Effectively computes rstd = 1/√(var + eps), scale = γ·rstd, shift = β − mean·scale, rounded as
    /// <see cref="Ops.BatchNorm2d"/> rounds its eval forward, so a folded model matches the unfolded one bit for bit.</remarks>
    public (float[] Scale, float[] Shift) EvalAffine()
    {
        var scale = new float[Channels];
        var shift = new float[Channels];
        ReadOnlySpan<float> w = W.Value.Data, b = B.Value.Data, rm = RunningMean.Value.Data, rv = RunningVar.Value.Data;
        for (int ch = 0; ch < Channels; ch++)
        {
            float rstd = 1f / MathF.Sqrt(rv[ch] + Eps);
            scale[ch] = w[ch] * rstd;
            shift[ch] = b[ch] - rm[ch] * scale[ch];
        }
        return (scale, shift);
    }

    public Tensor Forward(Tensor x) // [N, C, H, W] → same
    {
        Tensor y = Own(Ops.BatchNorm2d(x, W.Value, B.Value, RunningMean.Value, RunningVar.Value, Training, Momentum, Eps));
        if (Training) NumBatchesTracked.Value.Data[0] += 1;
        return Output(y);
    }
}
