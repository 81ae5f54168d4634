// Top references of one channel of a channel split (Hesse et al. 2025, arXiv 2504.12939): the held-out images with the
// largest spatially summed activation of the original channel, the concept-1 row or the concept-2 row, with their labels so
// the report can colour them by concept.

namespace Unravel.Atlas.Methods;

/// <summary>Top held-out images of one channel.</summary>
/// <param name="Name">"original", "concept 1" or "concept 2".</param>
/// <param name="Hook">Hook and channel the values come from, e.g. "layer3.0.conv2.hook_split[47]".</param>
/// <param name="Inputs">Dataset indices, best first.</param>
/// <param name="Values">Σ over positions of the channel's output.</param>
/// <param name="Labels">Class label of each input.</param>
public sealed record SplitReferencesRecord(string Name, string Hook, long[] Inputs, double[] Values, int[] Labels);
