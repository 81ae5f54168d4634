// Conv → BatchNormalization → (Add residual) → Relu chains of an imported graph, run as the one fused op the native
// ResNet blocks use (Ops.Conv2dAffine: packed weights, Winograd for 3×3 stride 1, the batch norm, residual and ReLU
// applied in the convolution's epilogue). A chain is found at load where each intermediate value has exactly one reader
// (the next node of the chain) and is no graph output; the convolution's weight and bias and the batch norm's four
// inputs must be initializers. At run time the chain is fused only where nothing can observe the skipped values, as
// ConvBnAct decides for native modules: no hook matching an intermediate tensor (or its module path), no tracked
// parameter, and the input untracked or tracked by a tape with FuseInference. Otherwise its nodes run one by one.
// The batch norm becomes a per-channel scale and shift computed exactly as Ops.BatchNorm2d computes them in eval mode
// (rstd = 1/√(var + eps), scale = γ·rstd, shift = β − mean·scale), so fused and unfused values agree.
// Reference: Ioffe & Szegedy 2015, "Batch Normalization", https://arxiv.org/abs/1502.03167 (§3.2, inference);
// ONNX operator specifications, https://onnx.ai/onnx/operators/ (Conv, BatchNormalization, Add, Relu).

using Unravel.Nn.Layers;

namespace Unravel.Models.Onnx;

/// <summary>One fusable Conv → [BatchNormalization] → [Add] → [Relu] chain of compiled nodes.</summary>
internal sealed class OnnxConvChain
{
    private readonly OnnxOperators.ConvPlan _plan;

    private OnnxConvChain(int id, int[] members, string x, string weight, string? bias, string[]? batchNorm, float eps,
        string? residual, bool relu, string[] innerHooks, OnnxOperators.ConvPlan plan)
    {
        Id = id;
        Members = members;
        X = x;
        Weight = weight;
        Bias = bias;
        BatchNorm = batchNorm;
        Eps = eps;
        Residual = residual;
        Relu = relu;
        InnerHooks = innerHooks;
        _plan = plan;
    }

    /// <summary>Index among the model's chains.</summary>
    public int Id { get; }

    /// <summary>Indices of the chain's nodes among the compiled nodes, in order: the Conv first, the node where the fused
    /// op runs last.</summary>
    public int[] Members { get; }

    public int First => Members[0];

    public int Last => Members[^1];

    public string X { get; }

    public string Weight { get; }

    public string? Bias { get; }

    /// <summary>The batch norm's scale, B, mean and var inputs, or null for none.</summary>
    public string[]? BatchNorm { get; }

    public float Eps { get; }

    /// <summary>The Add's other operand, or null for none.</summary>
    public string? Residual { get; }

    public bool Relu { get; }

    /// <summary>The hook names of the values the fused op skips: the intermediate tensors and the module paths naming them.</summary>
    public string[] InnerHooks { get; }

    /// <summary>The chain's output: act(bn(conv(x)) + residual).</summary>
    public Tensor Run(Func<string, Tensor> value)
    {
        Tensor x = value(X);                                                     // [N, C, H, W]
        Tensor w = value(Weight);                                                // [O, C/g, KH, KW]
        Tensor? b = Bias is null ? null : value(Bias);                           // [O]
        Tensor? scale = null, shift = null;
        if (BatchNorm is { } bn) (scale, shift) = Affine(value(bn[0]), value(bn[1]), value(bn[2]), value(bn[3]), Eps);
        Tensor? residual = Residual is null ? null : value(Residual);
        if (residual is null || residual.Rank == 4 && residual.Dim(0) == x.Dim(0) && residual.Dim(1) == w.Dim(0))
        {
            try
            {
                return _plan(x, w, b, scale, shift, residual, Relu, 2);                  // [N, O, OH, OW]
            }
            catch (ArgumentException) when (residual is not null)
            {
                // The residual broadcasts instead of matching the output: add it as the unfused graph does.
            }
        }
        Tensor y = Ops.Add(_plan(x, w, b, scale, shift, null, false, 2), residual!); // [N, O, OH, OW]
        return Relu ? Ops.Relu(y) : y;
    }

    /// <summary>Whether the chain may run fused now: see the file header.</summary>
    public bool CanFuse(HookRegistry hooks, Func<string, Tensor> value)
    {
        if (hooks.Count > 0 && hooks.AnyMatch(InnerHooks)) return false;
        Tensor x = value(X);
        if (x.IsTracked && x.Tape is not { FuseInference: true }) return false;
        if (value(Weight).IsTracked || Bias is not null && value(Bias).IsTracked) return false;
        return BatchNorm is null || !BatchNorm.Any(n => value(n).IsTracked);
    }

    /// <summary>Finds the chains among <paramref name="nodes"/>.</summary>
    /// <param name="nodes">The compiled nodes: op type, inputs and outputs.</param>
    /// <param name="initializerRank">The rank of a float initializer, or null for any other value.</param>
    /// <param name="readers">How often each value is read (node inputs and graph outputs).</param>
    /// <param name="hooksOf">The hook names of a tensor (itself and the module paths naming it).</param>
    public static List<OnnxConvChain> Find(IReadOnlyList<(OnnxNodeContext Context, string[] Inputs, string[] Outputs)> nodes,
        Func<string, int?> initializerRank, IReadOnlyDictionary<string, int> readers, Func<string, IEnumerable<string>> hooksOf)
    {
        var readerOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (string input in nodes[i].Inputs)
                if (input.Length > 0) readerOf[input] = i;
        // A node joins one chain at most: an Add of two convolution branches belongs to the first one.
        var taken = new HashSet<int>();
        int? Next(string value, string opType) =>
            readers.GetValueOrDefault(value) == 1 && readerOf.TryGetValue(value, out int i) && !taken.Contains(i)
            && nodes[i].Context.Node.OpType == opType ? i : null;
        bool Initializer(string[] inputs, int at, int rank) => at < inputs.Length && initializerRank(inputs[at]) == rank;

        var chains = new List<OnnxConvChain>();
        for (int i = 0; i < nodes.Count; i++)
        {
            (OnnxNodeContext c, string[] inputs, string[] outputs) = nodes[i];
            if (c.Node.OpType != "Conv" || !Initializer(inputs, 1, 4) || inputs.Length > 2 && inputs[2].Length > 0 && !Initializer(inputs, 2, 1))
                continue;
            var inner = new List<string>();
            var members = new List<int> { i };
            string value = outputs[0];
            string[]? bn = null;
            float eps = 0;
            if (Next(value, "BatchNormalization") is int n && nodes[n].Inputs is { Length: 5 } bi && bi[0] == value
                && Enumerable.Range(1, 4).All(k => Initializer(bi, k, 1)) && nodes[n].Outputs.Count(o => o.Length > 0) == 1
                && nodes[n].Context.Int("training_mode", 0) == 0)
            {
                bn = bi[1..];
                eps = nodes[n].Context.Float("epsilon", 1e-5f);
                inner.Add(value);
                value = nodes[n].Outputs[0];
                members.Add(n);
            }
            string? residual = null;
            if (Next(value, "Add") is int a && nodes[a].Inputs is { Length: 2 } ai && ai[0] != ai[1]
                && (ai[0] == value ? ai[1] : ai[0]) is var other && initializerRank(other) is null)
            {
                residual = other;
                inner.Add(value);
                value = nodes[a].Outputs[0];
                members.Add(a);
            }
            bool relu = false;
            if (Next(value, "Relu") is int r)
            {
                relu = true;
                inner.Add(value);
                members.Add(r);
            }
            if (members.Count == 1) continue;
            taken.UnionWith(members);
            string[] hooks = [.. inner.SelectMany(hooksOf)];
            chains.Add(new OnnxConvChain(chains.Count, [.. members], inputs[0], inputs[1], inputs.Length > 2 && inputs[2].Length > 0 ? inputs[2] : null,
                bn, eps, residual, relu, hooks, OnnxOperators.PlanConv(c)));
        }
        return chains;
    }

    /// <summary>Eval-mode batch norm as a per-channel affine map: the one fold, <see cref="BatchNorm2d.EvalAffine(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, float)"/>.</summary>
    private static (Tensor Scale, Tensor Shift) Affine(Tensor gamma, Tensor beta, Tensor mean, Tensor variance, float eps)
    {
        (float[] scale, float[] shift) = BatchNorm2d.EvalAffine(gamma.Data, beta.Data, mean.Data, variance.Data, eps);
        return (Tensor.FromArray(scale), Tensor.FromArray(shift));
    }
}
