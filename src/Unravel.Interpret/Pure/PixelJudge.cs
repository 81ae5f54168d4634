// A model-free judge embedding: the preprocessed image itself, flattened. Independent of every model, but it measures
// visual similarity in pixel space only (pose and brightness count as much as the concept); use it beside a model judge.

using Unravel.Interpret.Collection;

namespace Unravel.Interpret.Pure;

/// <summary>Embeds an image input as its flattened pixels [C·H·W].</summary>
/// <param name="data">The image dataset.</param>
public sealed class PixelJudge(ImageDataset data) : IJudgeEmbedding
{
    /// <inheritdoc/>
    public string Name => "pixels";

    /// <inheritdoc/>
    public bool Independent => true;

    /// <inheritdoc/>
    public float[][] Embed(IReadOnlyList<long> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        float[] all = data.Gather(inputs).ToArray();
        int per = inputs.Count == 0 ? 0 : all.Length / inputs.Count;
        return Enumerable.Range(0, inputs.Count).Select(i => all.AsSpan(i * per, per).ToArray()).ToArray();
    }
}
