// The named composites of zennit (composites.py) and their registry. Rules per composite:
//   epsilon-plus               first ZPlus,          conv ZPlus,          dense Epsilon
//   epsilon-plus-flat          first Flat,           conv ZPlus,          dense Epsilon   (PURE and the CRP tutorials)
//   epsilon-alpha2-beta1       first AlphaBeta(2,1), conv AlphaBeta(2,1), dense Epsilon
//   epsilon-alpha2-beta1-flat  first Flat,           conv AlphaBeta(2,1), dense Epsilon
//   epsilon-gamma-box          first ZBox(l, h),     conv Gamma(0.25),    dense Epsilon
// plus "epsilon" (Epsilon everywhere; LRP-0 with ε = 0) for checks and "gradient" (no rule: plain backprop).

using Unravel.Interpret.Attribution.Rules;

namespace Unravel.Interpret.Attribution;

/// <summary>Settings shared by the named composites.</summary>
public sealed record CompositeSettings
{
    /// <summary>ε of the Epsilon rule on dense layers (zennit default 1e-6).</summary>
    public float Epsilon { get; init; } = Unravel.Interpret.Attribution.Stabilizer.DefaultEpsilon;

    /// <summary>Stabiliser of every other rule.</summary>
    public float Stabilizer { get; init; } = Unravel.Interpret.Attribution.Stabilizer.DefaultEpsilon;

    /// <summary>γ of the Gamma rule.</summary>
    public float Gamma { get; init; } = 0.25f;

    /// <summary>ZBox lower bounds per input channel (epsilon-gamma-box); required by that composite.</summary>
    public IReadOnlyList<float>? Low { get; init; }

    /// <summary>ZBox upper bounds per input channel.</summary>
    public IReadOnlyList<float>? High { get; init; }
}

/// <summary>The composite registry.</summary>
public static class Composites
{
    /// <summary>Registry names, in display order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["epsilon-plus", "epsilon-plus-flat", "epsilon-alpha2-beta1", "epsilon-alpha2-beta1-flat", "epsilon-gamma-box", "epsilon", "gradient"];

    public static Composite EpsilonPlus(CompositeSettings? s = null)
    {
        s ??= new();
        return new Composite("epsilon-plus", new ZPlusRule(s.Stabilizer), new ZPlusRule(s.Stabilizer), new EpsilonRule(s.Epsilon)) with { Sum = Norm(s), Pooling = Norm(s) };
    }

    public static Composite EpsilonPlusFlat(CompositeSettings? s = null)
    {
        s ??= new();
        return new Composite("epsilon-plus-flat", new FlatRule(s.Stabilizer), new ZPlusRule(s.Stabilizer), new EpsilonRule(s.Epsilon)) with { Sum = Norm(s), Pooling = Norm(s) };
    }

    public static Composite EpsilonAlpha2Beta1(CompositeSettings? s = null)
    {
        s ??= new();
        return new Composite("epsilon-alpha2-beta1", new AlphaBetaRule(2, 1, s.Stabilizer), new AlphaBetaRule(2, 1, s.Stabilizer), new EpsilonRule(s.Epsilon))
            with { Sum = Norm(s), Pooling = Norm(s) };
    }

    public static Composite EpsilonAlpha2Beta1Flat(CompositeSettings? s = null)
    {
        s ??= new();
        return new Composite("epsilon-alpha2-beta1-flat", new FlatRule(s.Stabilizer), new AlphaBetaRule(2, 1, s.Stabilizer), new EpsilonRule(s.Epsilon))
            with { Sum = Norm(s), Pooling = Norm(s) };
    }

    /// <exception cref="ArgumentException">The ZBox bounds are missing.</exception>
    public static Composite EpsilonGammaBox(CompositeSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Low is null || s.High is null)
            throw new ArgumentException("composite epsilon-gamma-box: needs the input bounds (Low and High), e.g. the normalised values of pixel 0 and 1.");
        return new Composite("epsilon-gamma-box", new ZBoxRule(s.Low, s.High, s.Stabilizer), new GammaRule(s.Gamma, s.Stabilizer), new EpsilonRule(s.Epsilon))
            with { FirstConvolutionOnly = true, Sum = Norm(s), Pooling = Norm(s) };
    }

    /// <summary>Epsilon on every convolution and dense layer (ε = 0: LRP-0).</summary>
    public static Composite Epsilon(CompositeSettings? s = null)
    {
        s ??= new();
        return Composite.Uniform(new EpsilonRule(s.Epsilon), "epsilon") with { Sum = Norm(s), Pooling = Norm(s) };
    }

    /// <summary>The plain gradient everywhere (no LRP rule): with a start layer and recorded layers this gives PURE's
    /// circuit gradients; multiply by the recorded activation for gradient × activation.</summary>
    public static Composite Gradient()
    {
        var node = new GradientNodeRule();
        var affine = new GradientRule();
        return new Composite("gradient", affine, affine, affine) { Sum = node, Pooling = node, Activation = node, BatchNorm = node };
    }

    /// <summary>The composite called <paramref name="name"/> (case-insensitive; "EpsilonPlusFlat" also accepted).</summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones), or missing ZBox bounds.</exception>
    public static Composite Create(string name, CompositeSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = Normalize(name);
        settings ??= new();
        return key switch
        {
            "epsilonplus" => EpsilonPlus(settings),
            "epsilonplusflat" => EpsilonPlusFlat(settings),
            "epsilonalpha2beta1" => EpsilonAlpha2Beta1(settings),
            "epsilonalpha2beta1flat" => EpsilonAlpha2Beta1Flat(settings),
            "epsilongammabox" => EpsilonGammaBox(settings),
            "epsilon" => Epsilon(settings),
            "gradient" => Gradient(),
            _ => throw new ArgumentException($"unknown composite '{name}'. Known: {string.Join(", ", Names)}."),
        };
    }

    private static NormRule Norm(CompositeSettings s) => new(s.Stabilizer);

    private static string Normalize(string name) => new(name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
}
