// What the explain stage did, for the command's table or JSON.

using Unravel.Atlas.Methods;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of an explain run.</summary>
/// <param name="Layer">The layer (resolved name).</param>
/// <param name="Request">The request as run.</param>
/// <param name="Concepts">The concept set's provenance.</param>
/// <param name="Split">The split.</param>
/// <param name="Neurons">One entry per neuron, in request order.</param>
/// <param name="Elapsed">Time spent.</param>
public sealed record ExplainStageResult(AtlasLayer Layer, ExplainRequest Request, ConceptSetRecord Concepts, DataSplitRecord Split,
    IReadOnlyList<ExplainNeuron> Neurons, TimeSpan Elapsed)
{
    /// <summary>Median test correlation over the neurons (undefined ones left out), or NaN.</summary>
    public double MedianTest => Median(Neurons.Select(n => n.Record.TestCorrelation));

    /// <summary>Median test correlation of the best single concept, or NaN.</summary>
    public double MedianBaseline => Median(Neurons.Select(n => n.Record.BaselineCorrelation));

    /// <summary>Median of the finite values, or NaN.</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] v = [.. values.Where(double.IsFinite).Order()];
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
