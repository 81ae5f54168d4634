// The image feature visualisation found and how the objective evolved.

using Unravel.Tensors;

namespace Unravel.Interpret.FeatureVisualization;

/// <summary>The optimised image and the objective per step.</summary>
/// <param name="Image">[C, S, S] in [0, 1] (before the model's normalisation, unwarped).</param>
/// <param name="Objective">The objective on each step's warped image.</param>
/// <param name="FinalObjective">The objective on the final, unwarped image.</param>
public sealed record FeatureVisualizationResult(Tensor Image, double[] Objective, double FinalObjective);
