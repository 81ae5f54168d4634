// Canonizers rewrite how rules see the graph without changing the function (zennit canonizers.py).

namespace Unravel.Interpret.Attribution;

/// <summary>A function-preserving rewrite of the LRP view of a model.</summary>
public interface ICanonizer
{
    /// <summary>Name for reports.</summary>
    string Name { get; }

    /// <summary>Records its decisions in <paramref name="graph"/>.</summary>
    void Apply(LrpGraph graph);
}
