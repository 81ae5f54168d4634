// The part of a model between two hook points, so PURE circuits run only the layers between the lower and the analysed
// layer instead of the whole network (docs/methods/pure.md). Known for the sequential
// residual families (SmallCnn, torchvision ResNet): stem output, then one block after another, a stage's output being its
// last block's output. Anything else (internal block points, other models) returns null and the caller falls back to
// the full forward with hooks.

using Unravel.Models.Vision;
using Unravel.Nn.Layers;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Pure;

/// <summary>Finds the block chain between two hook names of a sequential residual model.</summary>
internal static class SubNetwork
{
    /// <summary>Two functions: <c>Prefix</c> maps images to the activation at <paramref name="lower"/> (no hooks, so the
    /// fused inference path applies, and nothing after the lower layer runs); <c>Sub</c> maps that activation to the one
    /// at <paramref name="upper"/> by running only the blocks in between; <c>Between</c> lists those blocks. Null when the
    /// model or the names are not a known chain.</summary>
    public static (Func<Tensor, Tensor> Prefix, Func<Tensor, Tensor> Sub, ResidualBlockBase[] Between)? TryCreate(RootModule model, string lower, string upper)
    {
        (string StemName, IReadOnlyList<ResNetStage> Stages, Func<Tensor, Tensor> Stem)? chain = model switch
        {
            SmallCnn s => ("relu", s.Stages, images => SmallStem(s, images)),
            ResNet r => ("maxpool", r.Stages, images => ResNetStem(r, images)),
            _ => null,
        };
        if (chain is not { } c) return null;
        var position = new Dictionary<string, int>(StringComparer.Ordinal) { [c.StemName] = 0 };
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
        ResidualBlockBase[] before = blocks.GetRange(0, lo).ToArray(), between = blocks.GetRange(lo, hi - lo).ToArray();
        return (images => Run(before, c.Stem(images)), x => Run(between, x), between);
    }

    private static Tensor Run(ResidualBlockBase[] blocks, Tensor x)
    {
        foreach (ResidualBlockBase block in blocks) x = block.Forward(x); // [N, C_b, H_b, W_b]
        return x;
    }

    // The stems as in SmallCnn.Forward / ResNet.Forward (kept in step with them; the tests compare against full passes).
    private static Tensor SmallStem(SmallCnn m, Tensor images)
    {
        if (m.Bn1 is not null && ConvBnAct.CanFuse(m, images)) return ConvBnAct.Forward(m.Conv1, m.Bn1, images, relu: true); // [N, W0, H, W]
        Tensor x = m.Conv1.Forward(images);         // [N, W0, H, W]
        if (m.Bn1 is not null) x = m.Bn1.Forward(x); // [N, W0, H, W]
        return m.Relu.Forward(x);                    // [N, W0, H, W]
    }

    private static Tensor ResNetStem(ResNet m, Tensor images)
    {
        return ConvBnAct.CanFuse(m, images)
            ? m.MaxPool.Forward(ConvBnAct.Forward(m.Conv1, m.Bn1, images, relu: true))     // [N, W0, H/4, W/4]
            : m.MaxPool.Forward(m.Relu.Forward(m.Bn1.Forward(m.Conv1.Forward(images))));  // [N, W0, H/4, W/4]
    }
}
