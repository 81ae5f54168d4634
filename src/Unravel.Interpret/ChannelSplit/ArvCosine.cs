// One entry of the γ-test of channel splitting (Hesse et al. 2025, arXiv 2504.12939): the cosine between the
// averaged relevance vectors of two classes a channel is relevant to.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>cos(ARV(c, t1), ARV(c, t2)) for channel c and two of its relevant classes (t1 &lt; t2).</summary>
/// <param name="Channel">Output channel c of the layer.</param>
/// <param name="Class1">The smaller class index.</param>
/// <param name="Class2">The larger class index.</param>
/// <param name="Cosine">The cosine (0 when either vector is zero).</param>
/// <param name="Polysemantic">γ-low ≤ cosine &lt; γ.</param>
public sealed record ArvCosine(int Channel, int Class1, int Class2, double Cosine, bool Polysemantic);
