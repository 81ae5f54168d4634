// Hyper-parameters of SGD with momentum (torch.optim.SGD).

namespace Unravel.Nn.Optim;

/// <summary>Momentum, dampening, weight decay and Nesterov switch of <see cref="Sgd"/>.</summary>
public sealed record SgdOptions
{
    /// <summary>μ; 0 gives plain SGD.</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>τ: the new gradient enters the buffer with weight 1 - τ.</summary>
    public float Dampening { get; init; }

    /// <summary>λ, added to the gradient as λ·θ (L2 regularisation, as torch's SGD does).</summary>
    public float WeightDecay { get; init; }

    public bool Nesterov { get; init; }
}
