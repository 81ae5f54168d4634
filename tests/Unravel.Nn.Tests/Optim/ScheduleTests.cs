// Learning-rate schedules against their closed forms.

using Unravel.Nn.Optim;

namespace Unravel.Nn.Tests.Optim;

public sealed class ScheduleTests
{
    [Fact]
    public void Cosine_NoWarmup_EqualsClosedForm()
    {
        var s = new CosineSchedule { BaseRate = 0.1f, MinRate = 0.01f };
        // η_t = 0.01 + 0.09·(1 + cos(πt/100))/2: t = 0 → 0.1, t = 50 → 0.055, t = 100 → 0.01, t = 25 → 0.01 + 0.09·(1 + √½)/2.
        Assert.Equal(0.1f, s.RateAt(0, 100), 6);
        Assert.Equal(0.055f, s.RateAt(50, 100), 6);
        Assert.Equal(0.01f, s.RateAt(100, 100), 6);
        Assert.Equal((float)(0.01 + 0.09 * (1 + Math.Sqrt(0.5)) / 2), s.RateAt(25, 100), 6);
    }

    [Fact]
    public void Cosine_WithWarmup_RampsLinearlyThenDecaysOverTheRest()
    {
        var s = new CosineSchedule { BaseRate = 1f, WarmupSteps = 10 };
        // Warmup: (s + 1)/10; then cosine over the remaining 90 steps: t = 45 after warmup is the midpoint.
        Assert.Equal(0.1f, s.RateAt(0, 100), 6);
        Assert.Equal(1f, s.RateAt(9, 100), 6);
        Assert.Equal(1f, s.RateAt(10, 100), 6);
        Assert.Equal(0.5f, s.RateAt(55, 100), 6);
        Assert.Equal(0f, s.RateAt(100, 100), 6);
    }

    [Fact]
    public void Step_DecaysByGammaEveryStepSize()
    {
        var s = new StepSchedule { BaseRate = 0.5f, StepSize = 30, Gamma = 0.1f };
        // η·γ^⌊t/30⌋.
        Assert.Equal(0.5f, s.RateAt(29, 1000), 7);
        Assert.Equal(0.05f, s.RateAt(30, 1000), 7);
        Assert.Equal(0.005f, s.RateAt(61, 1000), 7);
    }

    [Fact]
    public void Step_WithWarmup_CountsDecaysAfterWarmup()
    {
        var s = new StepSchedule { BaseRate = 1f, WarmupSteps = 4, StepSize = 10, Gamma = 0.5f };
        Assert.Equal(0.25f, s.RateAt(0, 100), 7);
        Assert.Equal(1f, s.RateAt(13, 100), 7);
        Assert.Equal(0.5f, s.RateAt(14, 100), 7);
    }

    [Fact]
    public void Constant_IsBaseRateAfterWarmup()
    {
        var s = new ConstantSchedule { BaseRate = 3e-4f, WarmupSteps = 2 };
        Assert.Equal(1.5e-4f, s.RateAt(0, 10), 9);
        Assert.Equal(3e-4f, s.RateAt(7, 10), 9);
    }

    [Fact]
    public void RateAt_NegativeStep_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule { BaseRate = 1f }.RateAt(-1, 10));
}
