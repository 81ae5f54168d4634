// What feature visualisation maximises (Olah, Mordvintsev, Schubert 2017, "Feature Visualization", Distill): the mean
// activation of one channel at a hook point (a neuron; for a split channel the hook "<path>.hook_split" and its channel
// c, O or O+1), or the mean cosine between a direction and the activation vector at each position (the concept-vector
// objective of O'Mahony et al. 2023, "Disentangling Neuron Representations with Concept Vectors").

namespace Unravel.Interpret.FeatureVisualization;

/// <summary>A channel or a direction at a hook point.</summary>
/// <param name="HookName">The hook point, e.g. "layer3" or "layer3.0.conv2.hook_split".</param>
/// <param name="Channel">The channel whose spatial mean is maximised, or null with a direction.</param>
/// <param name="Direction">[C] vector whose mean positional cosine is maximised, or null with a channel.</param>
public sealed record FeatureObjective(string HookName, int? Channel, float[]? Direction)
{
    /// <summary>Maximise the mean of channel <paramref name="channel"/> over positions.</summary>
    public static FeatureObjective Neuron(string hookName, int channel) => new(hookName, channel, null);

    /// <summary>Maximise mean over positions of cos(<paramref name="direction"/>, A[:, h, w]).</summary>
    public static FeatureObjective AlongDirection(string hookName, float[] direction) => new(hookName, null, direction);
}
