// The part of a model between two hook points, so PURE circuits run only the layers between the lower and the analysed
// layer instead of the whole network (spec /work/shared/methods/pure-lrp-crp.md §1.7). Known for the sequential
// residual families (SmallCnn, torchvision ResNet): stem output, then one block after another, a stage's output being its
// last block's output. Anything else (internal block points, other models) returns null and the caller falls back to
// the full forward with hooks.

using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Pure;

/// <summary>Finds the block chain between two hook names of a sequential residual model.</summary>
internal static class SubNetwork
{
    /// <summary>A function mapping the activation at <paramref name="lower"/> to the one at <paramref name="upper"/> by
    /// running only the blocks in between, or null when the model or the names are not a known chain.</summary>
    public static Func<Tensor, Tensor>? TryCreate(RootModule model, string lower, string upper)
    {
        (string Stem, IReadOnlyList<ResNetStage> Stages)? chain = model switch
        {
            SmallCnn s => ("relu", s.Stages),
            ResNet r => ("maxpool", r.Stages),
            _ => null,
        };
        if (chain is not { } c) return null;
        var position = new Dictionary<string, int>(StringComparer.Ordinal) { [c.Stem] = 0 };
        var blocks = new List<ResidualBlockBase>();
        foreach (ResNetStage stage in c.Stages)
        {
            foreach (ResidualBlockBase block in stage.Blocks)
            {
                blocks.Add(block);
                position[block.Path] = blocks.Count;
            }
            position[stage.Path] = blocks.Count;
        }
        if (!position.TryGetValue(lower, out int lo) || !position.TryGetValue(upper, out int hi) || hi <= lo) return null;
        ResidualBlockBase[] run = blocks.GetRange(lo, hi - lo).ToArray();
        return x =>
        {
            foreach (ResidualBlockBase block in run) x = block.Forward(x); // [N, C_b, H_b, W_b]
            return x;
        };
    }
}
