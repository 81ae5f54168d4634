// A constant rate (after the optional warmup).

namespace Unravel.Nn.Optim;

/// <summary>η at every step after warmup.</summary>
public sealed record ConstantSchedule : LrSchedule
{
    /// <inheritdoc/>
    protected override double Curve(long t, long span) => BaseRate;
}
