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
    public (float[] Scale, float[] Shift) EvalAffine() =>
        EvalAffine(W.Value.Data, B.Value.Data, RunningMean.Value.Data, RunningVar.Value.Data, Eps);

    /// <summary><see cref="EvalAffine()"/> for batch-norm parameters held outside a layer (e.g. an imported graph's
    /// BatchNormalization node): γ, β, running mean and variance, each [C].</summary>
    public static (float[] Scale, float[] Shift) EvalAffine(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float eps)
    {
        int c = gamma.Length;
        var scale = new float[c];
        var shift = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            float rstd = 1f / MathF.Sqrt(variance[ch] + eps);
            scale[ch] = gamma[ch] * rstd;
            shift[ch] = beta[ch] - mean[ch] * scale[ch];
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
