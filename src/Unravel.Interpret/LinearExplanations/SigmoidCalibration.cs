// The calibration P = σ(a·(s + b)) that turns a detector's score s into a concept probability (Oikarinen & Weng 2024,
// ICML, §3 LE(SigLIP): a, b chosen by grid search minimising binary cross-entropy against multi-hot labels).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Sigmoid calibration constants and the fit's loss.</summary>
/// <param name="A">Slope a.</param>
/// <param name="B">Shift b.</param>
/// <param name="CrossEntropy">Mean binary cross-entropy on the rows it was fitted on.</param>
public sealed record SigmoidCalibration(double A, double B, double CrossEntropy)
{
    /// <summary>σ(a·(s + b)).</summary>
    public float Apply(float score) => (float)(1 / (1 + Math.Exp(-A * (score + B))));
}
