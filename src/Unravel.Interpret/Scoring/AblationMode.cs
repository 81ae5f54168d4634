// Calibration modes of the ablation score (Oikarinen & Weng 2024, ICML, App. B.5).

namespace Unravel.Interpret.Scoring;

/// <summary>How the simulation is mapped to activation units before replacing the neuron.</summary>
public enum AblationMode
{
    /// <summary>c·ŷ + d with c, d fitted on val by Adam.</summary>
    Optim,

    /// <summary>μ_val + σ_val·ρ_val·z(ŷ).</summary>
    Norm,
}
