// The linear explanations of one neuron, one per concept set (Oikarinen & Weng 2024, "Linear explanations for individual
// neurons", ICML, §3–4: LE(Label) and LE(SigLIP) explain the same neuron side by side; here labels/tokens and every
// model:NAME set). A run on one concept set replaces that set's explanation and keeps the others.

namespace Unravel.Atlas.Methods;

/// <summary>A neuron's linear explanations, keyed by concept set.</summary>
/// <param name="Explanations">One per concept set, the dataset's own set (labels, tokens) first, then by name.</param>
public sealed record ExplanationsRecord(ExplanationRecord[] Explanations)
{
    /// <summary>The explanations (empty for a file of the older one-explanation format, which has none under this key).</summary>
    public ExplanationRecord[] Explanations { get; init; } = Explanations ?? [];

    /// <summary>The explanation on <paramref name="conceptSet"/>, or null.</summary>
    public ExplanationRecord? Of(string conceptSet) => Explanations.FirstOrDefault(e => e.ConceptSet == conceptSet);

    /// <summary>The explanation on the dataset's own concepts (labels or tokens), else the first one.</summary>
    public ExplanationRecord? Primary => Explanations.FirstOrDefault(e => !IsModelSet(e.ConceptSet)) ?? Explanations.FirstOrDefault();

    /// <summary>The first explanation on a model:NAME set, or null.</summary>
    public ExplanationRecord? Model => Explanations.FirstOrDefault(e => IsModelSet(e.ConceptSet));

    /// <summary>This record with <paramref name="explanation"/> replacing the one on its concept set (or added).</summary>
    public ExplanationsRecord With(ExplanationRecord explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return new ExplanationsRecord([.. Explanations.Where(e => e.ConceptSet != explanation.ConceptSet).Append(explanation)
            .OrderBy(e => IsModelSet(e.ConceptSet)).ThenBy(e => e.ConceptSet, StringComparer.Ordinal)]);
    }

    /// <summary>True for a model:NAME concept set.</summary>
    public static bool IsModelSet(string conceptSet) => conceptSet.StartsWith("model:", StringComparison.Ordinal);
}
