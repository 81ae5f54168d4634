// One stored feature visualisation (Olah, Mordvintsev, Schubert 2017, "Feature Visualization", Distill): which channel
// or direction at which hook it maximises, the PNG beside the method's record, and the seed and steps that make it
// reproducible (the same seed and thread count give the same image).

namespace Unravel.Atlas.Methods;

/// <summary>A feature visualisation stored in the atlas.</summary>
/// <param name="Name">What it shows: "original", "concept 1", "concept 2" (a split), "concept 0" (a concept vector),
/// "virtual neuron 1" (PURE).</param>
/// <param name="Hook">The hook point maximised, e.g. "layer3.0.conv2.hook_split".</param>
/// <param name="Channel">The channel maximised (mean over positions), or null for a direction.</param>
/// <param name="Objective">"channel" (mean activation) or "direction" (mean positional cosine with a stored vector).</param>
/// <param name="File">The PNG's file name, in the record's folder.</param>
/// <param name="Seed">Seed of the initial image and the random warps.</param>
/// <param name="Steps">Adam steps.</param>
/// <param name="Value">The objective on the final image.</param>
/// <param name="Seconds">Wall seconds it took.</param>
public sealed record FeatureImage(string Name, string Hook, int? Channel, string Objective, string File, int Seed, int Steps, double Value, double Seconds);
