// Options of the search for γ-polysemantic channels (Hesse et al. 2025, "Disentangling Polysemantic Channels in
// Convolutional Neural Networks", arXiv 2504.12939: importance τ, relevance fraction p, cosine bound γ).

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Thresholds of <see cref="ChannelSplitFinder"/>.</summary>
public sealed record ChannelSplitFindOptions
{
    /// <summary>τ: a channel is important for an image when its relevance is ≥ τ × the image's total positive channel
    /// relevance. 0.03 as in the authors' published command (their script's default is 0.05).</summary>
    public double Tau { get; init; } = 0.03;

    /// <summary>p: a channel is relevant to class t when it is important for ≥ p × the images of t.</summary>
    public double P { get; init; } = 0.75;

    /// <summary>γ: a pair of classes is γ-polysemantic when the cosine of their averaged relevance vectors is &lt; γ.
    /// 0.5 as in the authors' published command; their code's flag default (1.0) would filter nothing.</summary>
    public double Gamma { get; init; } = 0.5;

    /// <summary>Lower cosine bound (inclusive) of the γ-test; 0 excludes anti-correlated pairs, as the authors' default.</summary>
    public double GammaLow { get; init; }

    /// <summary>Checks the thresholds (the finder calls it; a stage may call it before a long pass).</summary>
    /// <exception cref="UnravelException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(Tau >= 0 && Tau <= 1)) throw new UnravelException($"channel split: tau {Tau} must be in [0, 1].", "the paper uses --tau 0.03");
        if (!(P > 0 && P <= 1)) throw new UnravelException($"channel split: p {P} must be in (0, 1].", "the paper uses --p 0.75");
        if (!(Gamma > GammaLow) || !(Gamma <= 1) || !(GammaLow >= -1))
            throw new UnravelException($"channel split: need -1 ≤ gamma-low {GammaLow} < gamma {Gamma} ≤ 1.", "the paper uses --gamma 0.5");
    }
}
