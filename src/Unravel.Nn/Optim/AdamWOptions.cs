// Hyper-parameters of AdamW (torch.optim.AdamW).

namespace Unravel.Nn.Optim;

/// <summary>β₁, β₂, ε and decoupled weight decay of <see cref="AdamW"/>; defaults are torch's.</summary>
public sealed record AdamWOptions
{
    public float Beta1 { get; init; } = 0.9f;

    public float Beta2 { get; init; } = 0.999f;

    public float Eps { get; init; } = 1e-8f;

    /// <summary>λ: θ is multiplied by 1 - ηλ before the Adam step (decoupled, not added to the gradient).</summary>
    public float WeightDecay { get; init; } = 0.01f;
}
