// Step decay, as torch.optim.lr_scheduler.StepLR: η_t = η·γ^⌊t / S⌋ (t counted after warmup).

namespace Unravel.Nn.Optim;

/// <summary>Multiplies the rate by <see cref="Gamma"/> every <see cref="StepSize"/> steps.</summary>
public sealed record StepSchedule : LrSchedule
{
    /// <summary>S, steps between decays.</summary>
    public required int StepSize { get; init; }

    /// <summary>γ.</summary>
    public float Gamma { get; init; } = 0.1f;

    /// <inheritdoc/>
    protected override double Curve(long t, long span) => BaseRate * Math.Pow(Gamma, t / Math.Max(1, StepSize));
}
