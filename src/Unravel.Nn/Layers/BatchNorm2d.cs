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

    public Tensor Forward(Tensor x) // [N, C, H, W] → same
    {
        Tensor y = Own(Ops.BatchNorm2d(x, W.Value, B.Value, RunningMean.Value, RunningVar.Value, Training, Momentum, Eps));
        if (Training) NumBatchesTracked.Value.Data[0] += 1;
        return Output(y);
    }
}
