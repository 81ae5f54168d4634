// A superclass of a label set: a WordNet hypernym shared by at least two classes (Oikarinen & Weng 2024, ICML, §3:
// LE(Label) appends one column per superclass, the sum of its members' one-hots).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>A named group of classes.</summary>
/// <param name="Name">Concept name (the hypernym's first lemma).</param>
/// <param name="Synset">WordNet 3.0 synset ("footwear.n.02"-style lemma.pos.sense, and the data.noun offset after a '#').</param>
/// <param name="Classes">Member class indices, ascending.</param>
public sealed record Superclass(string Name, string Synset, IReadOnlyList<int> Classes);
