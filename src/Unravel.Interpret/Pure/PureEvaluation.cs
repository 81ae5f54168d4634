// Results of PURE's intra-/inter-cluster distance evaluation (docs/methods/pure.md).

namespace Unravel.Interpret.Pure;

/// <summary>Mean pairwise judge-embedding distances of one neuron's references under one labelling.</summary>
/// <param name="Intra">Mean distance over pairs (a ≠ b) with the same label (= Inter when there are none).</param>
/// <param name="Inter">Mean distance over pairs with different labels (= Intra when there are none).</param>
/// <param name="Overall">Mean distance over all pairs a ≠ b (the expectation under random labels).</param>
public sealed record ClusterDistances(double Intra, double Inter, double Overall)
{
    /// <summary>Inter − Intra: larger means purer clusters.</summary>
    public double Gap => Inter - Intra;
}

/// <summary>A method's distances averaged over the evaluated neurons.</summary>
/// <param name="Method">"pure", "activation", "random" or "judge-kmeans".</param>
/// <param name="Intra">Mean intra-cluster distance.</param>
/// <param name="Inter">Mean inter-cluster distance.</param>
/// <param name="GapStdError">Standard error of the per-neuron gap (std / √n).</param>
/// <param name="Neurons">Neurons averaged.</param>
public sealed record MethodScore(string Method, double Intra, double Inter, double GapStdError, int Neurons)
{
    /// <summary>Inter − Intra.</summary>
    public double Gap => Inter - Intra;
}

/// <summary>The evaluation of one neuron: distances per method.</summary>
public sealed record NeuronEvaluation(int Neuron, IReadOnlyDictionary<string, ClusterDistances> Methods);

/// <summary>PURE vs baselines in a judge embedding.</summary>
/// <param name="Judge">The judge's name.</param>
/// <param name="JudgeIndependent">False when the judge is the analysed model itself (a weak, biased check).</param>
/// <param name="Summary">Per method, averaged over neurons.</param>
/// <param name="Neurons">Per neuron (only neurons with k ≥ 2 and at least 3 references).</param>
public sealed record PureEvaluation(string Judge, bool JudgeIndependent, IReadOnlyList<MethodScore> Summary, IReadOnlyList<NeuronEvaluation> Neurons);
