// The explicit list of analysis methods (no reflection): the report, `unravel neurons`, the explorer's analyse
// endpoint and docs iterate it. Adding a method is one line here (docs/adding-a-method.md).

namespace Unravel.Atlas.Methods;

/// <summary>Every registered method.</summary>
public static class MethodRegistry
{
    /// <summary>The methods, in report order.</summary>
    public static IReadOnlyList<IAtlasMethod> All { get; } =
    [
        ConceptsMethod.Instance,
        PureMethod.Instance,
        SplitMethod.Instance,
        LinearExplanationsMethod.Instance,
        ScoresMethod.Instance,
        EmbedMethod.Instance,
    ];

    /// <summary>The method called <paramref name="name"/>.</summary>
    /// <exception cref="UnravelException">No such method; the hint lists the registered ones.</exception>
    public static IAtlasMethod Get(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
        ?? throw new UnravelException($"no method '{name}'.", $"registered methods: {string.Join(", ", All.Select(m => m.Name))}");

    /// <summary>Every column the methods add to the neurons table.</summary>
    public static IEnumerable<NeuronColumn> Columns => All.SelectMany(m => m.Columns);
}
