// The receptive field of a hook point in a convolutional image model, computed from the architecture: the module tree
// is walked in forward (construction) order and each convolution or pooling layer on the path to the hook updates, per
// axis, the field size r, the jump j (input pixels between neighbouring output units) and the offset of the first
// output unit's window:
//   r ← r + (k_eff − 1)·j,   offset ← offset − p·j,   j ← j·s,   n ← ⌊(n + 2p − k_eff) / s⌋ + 1,   k_eff = d·(k − 1) + 1.
// Residual blocks: the main branch (the 3×3 convolutions) is followed and the projection shortcut (downsample, a
// strided 1×1) is skipped: both branches share the jump and the window centre, and the main branch is the larger one.
// A linear layer or a global average pool makes every later unit see the whole image (Global).
// Imported ONNX graphs are walked node by node instead: the same step per Conv/MaxPool/AveragePool node, the widest
// input field at pointwise nodes (residual adds, channel concatenations).
// Reference: Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019,
// https://distill.pub/2019/computing-receptive-fields/.

using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Models.Onnx;
using Unravel.Models.Vision;

namespace Unravel.Interpret.Collection;

/// <summary>Where in the input image a unit of a hook point looks.</summary>
/// <param name="Hook">The hook name.</param>
/// <param name="Rows">Along the height.</param>
/// <param name="Columns">Along the width.</param>
/// <param name="Global">True when every unit sees the whole image (after a linear layer or a global pool).</param>
public sealed record ReceptiveField(string Hook, ReceptiveFieldAxis Rows, ReceptiveFieldAxis Columns, bool Global)
{
    /// <summary>The image region of the unit at flat position <paramref name="position"/> (h·W + w of the activation),
    /// clipped to the image: (top, left, height, width). The whole image when <see cref="Global"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The position is outside the activation.</exception>
    public (int Top, int Left, int Height, int Width) Region(int position)
    {
        if (Global) return (0, 0, Rows.Input, Columns.Input);
        if ((uint)position >= (uint)(Rows.Output * Columns.Output))
            throw new ArgumentOutOfRangeException(nameof(position), $"receptive field: position {position} is outside the {Rows.Output}×{Columns.Output} activation of '{Hook}'.");
        (int top, int height) = Rows.Window(position / Columns.Output);
        (int left, int width) = Columns.Window(position % Columns.Output);
        return (top, left, height, width);
    }

    /// <summary>Computes the receptive field of <paramref name="hook"/> for inputs of <paramref name="height"/> ×
    /// <paramref name="width"/> pixels.</summary>
    /// <param name="model">A ResNet, VGG or small CNN (any model built from Conv2d, pooling, norm and activation modules).</param>
    /// <param name="hook">A module path ("layer2", "features.10") or a block hook point ("layer1.0.hook_relu1", "…hook_add").</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <exception cref="ArgumentException">No such hook, a module with no known spatial rule (e.g. a transformer), or the
    /// input is too small for the layers before the hook.</exception>
    public static ReceptiveField Of(RootModule model, string hook, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(hook);
        if (model is not IImageClassifier)
            throw new ArgumentException($"receptive field: {model.GetType().Name} is not an image model.", nameof(model));
        if (!model.AllHookNames.Contains(hook))
            throw new HookNotFoundException(hook, model.AllHookNames, "receptive field");
        if (model is OnnxModel onnx) return OfGraph(onnx, hook, height, width);
        List<Module> order = model.Modules().ToList();
        (Module target, string? point) = Target(order, hook);
        List<Module> path = PathTo(model, order, target, point);

        var rows = new ReceptiveFieldAxis(1, 1, 0, height, height);
        var cols = new ReceptiveFieldAxis(1, 1, 0, width, width);
        bool global = false;
        foreach (Module m in path)
        {
            if (global) break;
            switch (m)
            {
                case Conv2d conv:
                    rows = Step(rows, conv.Kernel, conv.Options.Stride.H, conv.Options.Padding.H, conv.Options.Dilation.H, hook);
                    cols = Step(cols, conv.Kernel, conv.Options.Stride.W, conv.Options.Padding.W, conv.Options.Dilation.W, hook);
                    break;
                case MaxPool2d pool:
                    rows = Step(rows, pool.KernelSize, pool.Stride, pool.Padding, 1, hook);
                    cols = Step(cols, pool.KernelSize, pool.Stride, pool.Padding, 1, hook);
                    break;
                case AdaptiveAvgPool2d adaptive:
                    (int oh, int ow) = adaptive.OutputSize;
                    // torch's adaptive pooling is an ordinary pool when the output divides the input; otherwise the
                    // windows vary in size and only "the whole image" describes every unit.
                    if (rows.Output % oh == 0 && cols.Output % ow == 0 && (oh > 1 || ow > 1))
                    {
                        int kh = rows.Output / oh, kw = cols.Output / ow;
                        rows = Step(rows, kh, kh, 0, 1, hook);
                        cols = Step(cols, kw, kw, 0, 1, hook);
                    }
                    else global = true;
                    break;
                case Linear:
                    global = true;
                    break;
                case BatchNorm2d or Relu or Dropout:
                    break;
                default:
                    if (m.Children.Count == 0 && m.OwnParameters.Count > 0)
                        throw new ArgumentException($"receptive field: no spatial rule for {m.GetType().Name} '{m.Path}' before '{hook}'.", nameof(hook));
                    break;
            }
        }
        return new ReceptiveField(hook, rows, cols, global);
    }

    /// <param name="padEnd">Padding after the axis when it differs from <paramref name="padding"/> (before), else null.</param>
    /// <param name="ceil">Output sizes round up (pooling's ceil mode).</param>
    private static ReceptiveFieldAxis Step(ReceptiveFieldAxis a, int kernel, int stride, int padding, int dilation, string hook,
        int? padEnd = null, bool ceil = false)
    {
        int k = dilation * (kernel - 1) + 1, padded = a.Output + padding + (padEnd ?? padding);
        int output = (ceil ? (padded - k + stride - 1) / stride : (padded - k) / stride) + 1;
        if (padded < k)
            throw new ArgumentException($"receptive field: an input of {a.Input} pixels is too small for the layers before '{hook}'.", nameof(hook));
        return new ReceptiveFieldAxis(a.Size + (k - 1) * a.Jump, a.Jump * stride, a.Offset - padding * a.Jump, a.Input, output);
    }

    /// <summary>Operators whose output unit sees exactly what the same position of its inputs sees.</summary>
    private static readonly HashSet<string> s_pointwise = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Clip", "Sqrt", "Pow", "Exp", "Abs", "Neg",
        "Add", "Sub", "Mul", "Div", "BatchNormalization", "Dropout", "Identity", "Cast", "Concat",
    };

    /// <summary>An imported graph: the field of each value follows from its producer. Window nodes (Conv, MaxPool,
    /// AveragePool) step it with their kernel, stride, padding and dilation; pointwise nodes keep the widest field of their
    /// spatial inputs (a residual Add takes its main branch, as for native blocks; a channel Concat its widest branch; a
    /// squeeze-and-excitation Mul its feature map, not the globally pooled gate); any other node (global pools, Gemm,
    /// MatMul, reshapes) makes every later unit see the whole image.</summary>
    private static ReceptiveField OfGraph(OnnxModel model, string hook, int height, int width)
    {
        string tensor = model.TensorOfModule.TryGetValue(hook, out string? t) ? t : hook;
        var fields = new Dictionary<string, (ReceptiveFieldAxis Rows, ReceptiveFieldAxis Columns, bool Global)>(StringComparer.Ordinal);
        foreach (OnnxTensorInfo input in model.Inputs)
            fields[input.Name] = (new ReceptiveFieldAxis(1, 1, 0, height, height), new ReceptiveFieldAxis(1, 1, 0, width, width), false);
        foreach (OnnxGraphNode node in model.GraphNodes)
        {
            if (fields.ContainsKey(tensor)) break;
            var inputs = node.Inputs.Where(fields.ContainsKey).Select(i => fields[i]).ToList();
            if (inputs.Count == 0) continue;
            // A global input beside a spatial one is a gate or bias computed from a global pool (squeeze-and-excitation):
            // it scales whole channels and does not move where a unit looks, so the spatial inputs decide.
            var spatial = inputs.Where(f => !f.Global).ToList();
            (ReceptiveFieldAxis rows, ReceptiveFieldAxis cols, bool global) = spatial.Count == 0
                ? (inputs[0].Rows, inputs[0].Columns, true)
                : spatial.MaxBy(f => (long)f.Rows.Size * f.Columns.Size);
            if (!global && node.Window is { Kernel.Count: 2 } w)
            {
                (int[] begin, int[] end) = w.Pads([rows.Output, cols.Output]);
                rows = Step(rows, w.Kernel[0], w.Stride[0], begin[0], w.Dilation[0], hook, end[0], w.Ceil);
                cols = Step(cols, w.Kernel[1], w.Stride[1], begin[1], w.Dilation[1], hook, end[1], w.Ceil);
            }
            else if (!s_pointwise.Contains(node.OpType)) global = true;
            foreach (string o in node.Outputs) fields[o] = (rows, cols, global);
        }
        if (!fields.TryGetValue(tensor, out var field))
            throw new ArgumentException($"receptive field: '{hook}' is not computed from the image input of '{model.File}'.", nameof(hook));
        return new ReceptiveField(hook, field.Rows, field.Columns, field.Global);
    }

    /// <summary>The module whose output (point null) or internal hook point the hook names.</summary>
    private static (Module, string?) Target(List<Module> order, string hook)
    {
        Module? exact = order.FirstOrDefault(m => m.Path == hook);
        if (exact is not null) return (exact, null);
        int dot = hook.LastIndexOf('.');
        string owner = dot < 0 ? "" : hook[..dot];
        // Imported graphs (ONNX) have no module tree to walk: their hooks name tensors, not modules.
        return (order.FirstOrDefault(m => m.Path == owner)
            ?? throw new ArgumentException($"receptive field: '{hook}' is not inside a module of the model's tree (an imported graph?).", nameof(hook)),
            hook[(dot + 1)..]);
    }

    /// <summary>The layers a value passes through from the input to the hook, in forward order.</summary>
    private static List<Module> PathTo(RootModule model, List<Module> order, Module target, string? point)
    {
        int index = order.IndexOf(target);
        int end = index + target.Modules().Count();
        // Inside a shortcut, the path is everything before its block plus the shortcut itself.
        Module? shortcut = order.Take(index + 1).LastOrDefault(m => m is Downsample && target.Path.StartsWith(m.Path, StringComparison.Ordinal));
        var skip = new HashSet<Module>();
        if (shortcut is not null)
        {
            Module block = order.Last(m => m is ResidualBlockBase && shortcut.Path.StartsWith(m.Path + ".", StringComparison.Ordinal));
            int blockIndex = order.IndexOf(block);
            foreach (Module m in order.Skip(blockIndex).Take(order.IndexOf(shortcut) - blockIndex)) skip.Add(m);
        }
        foreach (Module d in order.Take(end).OfType<Downsample>().Where(d => d != shortcut)) foreach (Module m in d.Modules()) skip.Add(m);

        var path = order.Take(end).Where(m => !skip.Contains(m) && m != model).ToList();
        if (point is { } p && p.StartsWith("hook_relu", StringComparison.Ordinal) && int.TryParse(p["hook_relu".Length..], out int n))
        {
            // "hook_reluN" follows the block's N-th convolution of the main branch.
            Conv2d nth = target.Modules().Where(m => !skip.Contains(m)).OfType<Conv2d>().ElementAt(n - 1);
            path = path.Take(path.IndexOf(nth) + 1).ToList();
        }
        return path;
    }
}
