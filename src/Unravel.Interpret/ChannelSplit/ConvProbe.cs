// Runs an image classifier on a tape and returns the input and output of one convolution, found through the tape node
// the convolution owns, so any layer works without a hook on its input.

using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Nn.Layers;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Forward (and optionally backward of the label logits) with the conv's input x and output a captured.</summary>
internal static class ConvProbe
{
    /// <summary>The convolution at <paramref name="layer"/>.</summary>
    /// <exception cref="UnravelException">No module has that path, or it is not a plain convolution.</exception>
    public static Conv2d Resolve(RootModule model, string layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(layer);
        Module? m = model.Modules().FirstOrDefault(x => x.Path == layer);
        if (m is Conv2d conv and not SplitConv2d) return conv;
        string convs = string.Join(", ", model.Modules().OfType<Conv2d>().Where(c => c is not SplitConv2d).Select(c => c.Path).TakeLast(8));
        string what = m is null ? "no module" : m is SplitConv2d ? "an already split convolution" : $"a {m.GetType().Name}, not a convolution";
        throw new AnalysisException($"channel split: layer '{layer}' is {what}.", $"pick a Conv2d path, e.g. {convs}");
    }

    /// <summary>The model as an image classifier.</summary>
    /// <exception cref="UnravelException">It does not classify images.</exception>
    public static IImageClassifier Classifier(RootModule model) => model as IImageClassifier
        ?? throw new AnalysisException($"channel split: the model ({model.GetType().Name}) is not an image classifier.");

    /// <summary>Runs the model on <paramref name="images"/>; with <paramref name="labels"/>, backpropagates each image's label
    /// logit and returns g = ∂y_label/∂a as well.</summary>
    /// <returns>Logits [N, K], x [N, C_in, H, W], a [N, C_out, H', W'], g (null without labels).</returns>
    public static (Tensor Logits, Tensor X, Tensor A, Tensor? G) Run(RootModule model, Conv2d conv, Tensor images, int[]? labels)
    {
        IImageClassifier classifier = Classifier(model);
        using var tape = new Tape { KeepIntermediateGradients = false };
        Tensor input = tape.Watch(images.Clone());
        Tensor logits = classifier.Forward(input); // [N, K]
        int at = -1;
        for (int i = tape.Nodes.Count - 1; i >= 0 && at < 0; i--)
            if (ReferenceEquals(tape.Nodes[i].Owner, conv)) at = i;
        if (at < 0) throw new InvalidOperationException($"channel split: layer '{conv.Path}' did not run in the forward pass.");
        Node node = tape.Nodes[at];
        Tensor x = node.Inputs[0], a = node.Output;
        if (labels is null) return (logits.Detach(), x.Detach(), a.Detach(), null);
        int n = logits.Dim(0), k = logits.Dim(1);
        var seed = Tensor.Zeros(n, k);
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)k)
                throw new AnalysisException($"channel split: label {labels[i]} of image {i} is outside the model's {k} classes.");
            seed.Data[i * k + labels[i]] = 1f;
        }
        // ∂y/∂a depends only on the nodes after the conv: its own node keeps the gradient arriving at a, and it and every
        // earlier node (the rest of the network below, shortcuts included) propagate nothing.
        Tensor? g = null;
        var below = new HashSet<Node>(tape.Nodes.Take(at + 1), ReferenceEqualityComparer.Instance);
        BackwardFn stop = (_, _, _) => { };
        BackwardFn keep = (_, dy, _) => g = dy.Clone();
        tape.Backward(logits, seed, rule: nd => ReferenceEquals(nd, node) ? keep : below.Contains(nd) ? stop : null);
        g ??= Tensor.Zeros(a.Shape.ToArray());
        return (logits.Detach(), x.Detach(), a.Detach(), g);
    }
}
