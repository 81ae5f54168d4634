// Stochastic gradient descent with momentum and L2 weight decay, step for step as torch.optim.SGD (torch 1.13):
//   g ← g + λθ;  b ← g (first step) or μb + (1 - τ)g;  d ← g + μb (Nesterov) or b;  θ ← θ - η·d
// Reference: Sutskever et al. 2013, http://proceedings.mlr.press/v28/sutskever13.html;
// https://pytorch.org/docs/1.13/generated/torch.optim.SGD.html

namespace Unravel.Nn.Optim;

/// <summary>SGD with momentum, dampening, weight decay and optional Nesterov momentum.</summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] s_slots = ["momentum_buffer"];

    /// <param name="parameters">Trainable parameters.</param>
    /// <param name="options">Momentum and decay.</param>
    /// <param name="decays">Which parameters get weight decay; all when null.</param>
    /// <exception cref="ArgumentException">Negative momentum or decay, or Nesterov without momentum or with dampening.</exception>
    public Sgd(IEnumerable<Parameter> parameters, SgdOptions options, Func<Parameter, bool>? decays = null) : base(parameters, decays)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Momentum >= 0) || !(options.WeightDecay >= 0) || options.Nesterov && (options.Momentum <= 0 || options.Dampening != 0))
            throw new ArgumentException($"sgd: invalid options {options} (momentum, decay ≥ 0; Nesterov needs momentum > 0 and no dampening).", nameof(options));
        Options = options;
    }

    public SgdOptions Options { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> StateSlots => s_slots;

    /// <inheritdoc/>
    protected override void Update(int index, Span<float> param, ReadOnlySpan<float> grad, float learningRate, bool decay)
    {
        float wd = decay ? Options.WeightDecay : 0f, mu = Options.Momentum, keep = 1f - Options.Dampening;
        bool first = !HasSlot(index, 0);
        float[]? buf = mu != 0 ? Slot(index, 0) : null;
        for (int i = 0; i < param.Length; i++)
        {
            float d = wd != 0 ? grad[i] + wd * param[i] : grad[i];
            if (buf is not null)
            {
                buf[i] = first ? d : mu * buf[i] + keep * d;
                d = Options.Nesterov ? d + mu * buf[i] : buf[i];
            }
            param[i] -= learningRate * d;
        }
    }
}
