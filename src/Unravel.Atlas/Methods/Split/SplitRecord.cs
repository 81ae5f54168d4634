// The stored result of one channel split (Hesse, Fischer, Schaub-Meyer, Roth 2025, "Disentangling Polysemantic Channels
// in Convolutional Neural Networks", arXiv 2504.12939): the split pair, the card of the edited model, the ρ selection, the
// held-out D/A table, the largest logit change, the images used, the exported files and the top references of the
// original channel and of both split channels.

using Unravel.Interpret.ChannelSplit;

namespace Unravel.Atlas.Methods;

/// <summary>One split channel's record (the file methods/split/&lt;conv&gt;/neuron_&lt;c&gt;.json).</summary>
/// <param name="Channel">The split channel c.</param>
/// <param name="Class1">Class whose concept keeps channel c.</param>
/// <param name="Class2">Class whose concept moves to the new channel.</param>
/// <param name="ClassNames">Class names from the model card, or null.</param>
/// <param name="Cosine">cos(ARV(c, t1), ARV(c, t2)).</param>
/// <param name="Card">The edited model's card (ρ, thresholds, mask).</param>
/// <param name="Rho">The ρ grid and its criteria on the find images.</param>
/// <param name="Classes">D1/A, D2/A, R/A per class on the held-out images (mean over kept images).</param>
/// <param name="MaxAbsLogitDiff">Largest |logit(original) − logit(split)| over the held-out images.</param>
/// <param name="MaxAbsLogit">Largest |logit| over them, for scale.</param>
/// <param name="Images">Which images were used for find/ρ and for evaluation.</param>
/// <param name="Export">Folder of model.safetensors, model.pth and split-card.json, or null.</param>
/// <param name="References">Top held-out images of the original channel and of both split channels.</param>
public sealed record SplitRecord(int Channel, int Class1, int Class2, IReadOnlyList<string>? ClassNames, double Cosine,
    ChannelSplitCard Card, RhoSelection Rho, SplitClassSummary[] Classes, double MaxAbsLogitDiff, double MaxAbsLogit,
    SplitImagesRecord Images, string? Export, SplitReferencesRecord[] References);
