// Which GELU formula Ops.Gelu evaluates; the names follow torch.nn.functional.gelu's `approximate` argument.

namespace Unravel.Tensors;

/// <summary>The GELU variant: the exact erf form or the tanh approximation.</summary>
public enum GeluApproximation
{
    /// <summary>x · Φ(x) with the exact normal CDF (torch <c>approximate='none'</c>; BERT, ViT).</summary>
    Erf,

    /// <summary>½ x (1 + tanh(√(2/π)(x + 0.044715 x³))) (torch <c>approximate='tanh'</c>; GPT-2's "gelu_new").</summary>
    Tanh,
}
