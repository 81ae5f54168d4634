// Options of feature visualisation by activation maximisation (Olah et al. 2017, "Feature Visualization", Distill:
// decorrelated Fourier parameterisation, transformation robustness by jitter, scale and rotation; Adam).

namespace Unravel.Interpret.FeatureVisualization;

/// <summary>Image size, optimisation and robustness settings.</summary>
public sealed record FeatureVisualizationOptions
{
    /// <summary>Image side in pixels.</summary>
    public int Size { get; init; } = 64;

    /// <summary>Image channels: 1 (gray) or 3 (RGB, colour-decorrelated).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>Per-channel mean and standard deviation the model expects; the image in [0, 1] is normalised with them.</summary>
    public float[]? Mean { get; init; }

    /// <inheritdoc cref="Mean"/>
    public float[]? Std { get; init; }

    public int Steps { get; init; } = 256;

    public double LearningRate { get; init; } = 0.05;

    public int Seed { get; init; }

    /// <summary>Fourier parameterisation with 1/f amplitude scaling (true) or plain pixels (false).</summary>
    public bool Fourier { get; init; } = true;

    /// <summary>A random affine warp per step: jitter, scale, rotation.</summary>
    public bool Transforms { get; init; } = true;

    /// <summary>Largest shift in pixels (uniform in [−Jitter, Jitter]); default Size/16 (at least 1).</summary>
    public double? Jitter { get; init; }

    /// <summary>Scale drawn uniformly in [1 − ScaleRange, 1 + ScaleRange].</summary>
    public double ScaleRange { get; init; } = 0.1;

    /// <summary>Rotation drawn uniformly in [−RotationDegrees, RotationDegrees].</summary>
    public double RotationDegrees { get; init; } = 10;

    /// <exception cref="UnravelException">A value is out of range.</exception>
    internal void Validate()
    {
        if (Size < 4 || Size > 512) throw new UnravelException($"feature visualisation: size {Size} must be in 4..512.");
        if (Channels is not (1 or 3)) throw new UnravelException($"feature visualisation: channels {Channels} must be 1 or 3.");
        if (Steps < 1 || !(LearningRate > 0)) throw new UnravelException($"feature visualisation: steps {Steps} and learning rate {LearningRate} must be positive.");
        if (Mean is { } m && m.Length != Channels || Std is { } s && (s.Length != Channels || s.Any(v => !(v > 0))))
            throw new UnravelException($"feature visualisation: mean/std need {Channels} entries and a positive std.");
    }
}
