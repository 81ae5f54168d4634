// The independent embedding PURE's evaluation measures cluster purity in (docs/methods/pure.md
// §2.2-2.3: the authors use CLIP and DINOv2 token means; here any model's pooled features can serve).

namespace Unravel.Interpret.Pure;

/// <summary>Embeds dataset inputs for the intra-/inter-cluster distance metric.</summary>
public interface IJudgeEmbedding
{
    /// <summary>Short name for tables and JSON, e.g. "avgpool of fashion-small-resnet".</summary>
    string Name { get; }

    /// <summary>False when the judge is not independent of the analysed model (e.g. its own penultimate layer).</summary>
    bool Independent { get; }

    /// <summary>One vector per input, all of the same length.</summary>
    float[][] Embed(IReadOnlyList<long> inputs);
}
