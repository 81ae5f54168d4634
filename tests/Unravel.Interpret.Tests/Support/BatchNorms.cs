// Non-trivial batch-norm parameters and statistics for tests of eval-mode models (freshly initialised ones are the
// identity map, which would let a missing or doubled batch norm go unnoticed).

using Unravel.Nn;
using Unravel.Nn.Layers;

namespace Unravel.Interpret.Tests.Support;

internal static class BatchNorms
{
    /// <summary>Sets every batch norm's γ ∈ [0.5, 1.5), β ∈ [−0.3, 0.7), running mean ∈ [−0.1, 0.1) and variance ∈ [0.5, 1.5).</summary>
    public static void Randomise(RootModule model, int seed)
    {
        var rng = new Random(seed);
        foreach (BatchNorm2d bn in model.Modules().OfType<BatchNorm2d>())
            for (int c = 0; c < bn.Channels; c++)
            {
                bn.W.Value.Data[c] = 0.5f + rng.NextSingle();
                bn.B.Value.Data[c] = rng.NextSingle() - 0.3f;
                bn.RunningMean.Value.Data[c] = 0.2f * (rng.NextSingle() - 0.5f);
                bn.RunningVar.Value.Data[c] = 0.5f + rng.NextSingle();
            }
    }
}
