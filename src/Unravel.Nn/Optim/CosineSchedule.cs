// Cosine annealing (Loshchilov & Hutter 2017, SGDR, https://arxiv.org/abs/1608.03983) without restarts, as
// torch.optim.lr_scheduler.CosineAnnealingLR with T_max = the steps after warmup:
//   η_t = η_min + (η - η_min)·(1 + cos(π·t/T))/2

namespace Unravel.Nn.Optim;

/// <summary>Cosine decay from <see cref="LrSchedule.BaseRate"/> to <see cref="MinRate"/> over the steps after warmup.</summary>
public sealed record CosineSchedule : LrSchedule
{
    /// <summary>η_min, reached at the last step.</summary>
    public float MinRate { get; init; }

    /// <inheritdoc/>
    protected override double Curve(long t, long span) =>
        MinRate + (BaseRate - (double)MinRate) * (1 + Math.Cos(Math.PI * Math.Min(t, span) / span)) / 2;
}
