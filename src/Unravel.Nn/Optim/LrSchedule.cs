// Learning-rate schedules as pure functions of the global step (no hidden state, so a resumed run gets the same
// rates): an optional linear warmup followed by the schedule's own curve over the remaining steps.
// Reference: torch.optim.lr_scheduler (LinearLR warmup, CosineAnnealingLR, StepLR); Goyal et al. 2017 (warmup),
// https://arxiv.org/abs/1706.02677

namespace Unravel.Nn.Optim;

/// <summary>The learning rate at each optimizer step.</summary>
public abstract record LrSchedule
{
    /// <summary>η, the peak rate (reached right after warmup).</summary>
    public required float BaseRate { get; init; }

    /// <summary>Steps of linear warmup: step s &lt; W uses η·(s + 1)/W.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>The rate for step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative step or warmup.</exception>
    public float RateAt(long step, long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps);
        if (step < WarmupSteps) return (float)(BaseRate * (step + 1.0) / WarmupSteps);
        return (float)Curve(step - WarmupSteps, Math.Max(1, totalSteps - WarmupSteps));
    }

    /// <summary>The rate <paramref name="t"/> steps after warmup, of <paramref name="span"/> such steps.</summary>
    protected abstract double Curve(long t, long span);
}
