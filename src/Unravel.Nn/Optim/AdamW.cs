// Adam with decoupled weight decay, step for step as torch.optim.AdamW (torch 1.13, single-tensor path):
//   θ ← θ(1 - ηλ);  m ← β₁m + (1 - β₁)g;  v ← β₂v + (1 - β₂)g²;
//   θ ← θ - (η / (1 - β₁ᵗ)) · m / (√v / √(1 - β₂ᵗ) + ε)
// Reference: Loshchilov & Hutter 2019, https://arxiv.org/abs/1711.05101;
// https://pytorch.org/docs/1.13/generated/torch.optim.AdamW.html

namespace Unravel.Nn.Optim;

/// <summary>AdamW: Adam moments with bias correction and decoupled weight decay.</summary>
public sealed class AdamW : Optimizer
{
    private static readonly string[] s_slots = ["exp_avg", "exp_avg_sq"];

    /// <param name="parameters">Trainable parameters.</param>
    /// <param name="options">Betas, ε and decay.</param>
    /// <param name="decays">Which parameters get weight decay; all when null (nanoGPT decays only matrices).</param>
    /// <exception cref="ArgumentException">A beta outside [0, 1), ε ≤ 0 or negative decay.</exception>
    public AdamW(IEnumerable<Parameter> parameters, AdamWOptions options, Func<Parameter, bool>? decays = null) : base(parameters, decays)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Beta1 >= 0 && options.Beta1 < 1 && options.Beta2 >= 0 && options.Beta2 < 1 && options.Eps > 0 && options.WeightDecay >= 0))
            throw new ArgumentException($"adamw: invalid options {options} (betas in [0, 1), eps > 0, decay ≥ 0).", nameof(options));
        Options = options;
    }

    public AdamWOptions Options { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> StateSlots => s_slots;

    /// <inheritdoc/>
    protected override void Update(int index, Span<float> param, ReadOnlySpan<float> grad, float learningRate, bool decay)
    {
        float[] m = Slot(index, 0), v = Slot(index, 1);
        float b1 = Options.Beta1, b2 = Options.Beta2, eps = Options.Eps;
        // Scalars in double as torch computes them in Python, then rounded once to the f32 the kernels use.
        float shrink = (float)(1.0 - (double)learningRate * (decay ? Options.WeightDecay : 0f));
        double bc1 = 1.0 - Math.Pow(b1, StepCount), bc2 = 1.0 - Math.Pow(b2, StepCount);
        float stepSize = (float)(learningRate / bc1), bc2Sqrt = (float)Math.Sqrt(bc2);
        float oneMinusB1 = 1f - b1, oneMinusB2 = 1f - b2;
        for (int i = 0; i < param.Length; i++)
        {
            float p = shrink != 1f ? param[i] * shrink : param[i], g = grad[i];
            m[i] = m[i] * b1 + oneMinusB1 * g;
            v[i] = v[i] * b2 + oneMinusB2 * (g * g);
            float denom = MathF.Sqrt(v[i]) / bc2Sqrt + eps;
            param[i] = p - stepSize * (m[i] / denom);
        }
    }
}
