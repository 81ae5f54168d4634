// Tape autograd. Recording is opt-in: ops check their inputs' tape (a null check when off) and push a Node
// only when an input is tracked. Backward walks the nodes in reverse; a caller may substitute the backward of
// any node (this is how LRP swaps in its rules while reusing the same walk).

namespace Unravel.Tensors.Autograd;

/// <summary>Records differentiable ops on watched tensors until disposed.</summary>
/// <example><code>
/// using var tape = new Tape();
/// Tensor x = tape.Watch(input);
/// Tensor loss = Ops.Sum(Ops.Relu(x));
/// GradStore grads = tape.Backward(loss);
/// Tensor dx = grads[x]!;
/// </code></example>
public sealed class Tape : IDisposable
{
    private readonly List<Node> _nodes = [];

    /// <summary>False after <see cref="Dispose"/>; tensors watched by a stopped tape are no longer tracked.</summary>
    public bool IsRecording { get; private set; } = true;

    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>Whether <see cref="Backward"/> returns the gradients of intermediates (op outputs) too; true by default.</summary>
    /// <remarks>When false, each op output's gradient is dropped as soon as its node has propagated it, so only the
    /// gradients of watched leaves are returned (as PyTorch, which does not retain non-leaf gradients). The dropped
    /// buffers can be reused by the rest of the walk, which keeps the peak memory of a deep network's input gradient
    /// near that of its forward pass instead of twice it.</remarks>
    public bool KeepIntermediateGradients { get; set; } = true;

    /// <summary>Lets the fused inference op (Ops.Conv2dAffine: conv → eval batch norm → + residual → ReLU) record one node
    /// when only its data inputs are tracked, its weights and affine parameters not; false by default.</summary>
    /// <remarks>For input gradients of a model in eval mode (saliency, gradient × input, integrated gradients) this skips
    /// the batch norm, add and ReLU passes forward and backward. The graph then has no separate batch-norm, add or ReLU
    /// nodes, which LRP's rules and canonizers need, so LRP leaves it off.</remarks>
    public bool FuseInference { get; set; }

    /// <summary>Marks <paramref name="tensor"/> as a leaf whose gradient is wanted; returns it.</summary>
    /// <exception cref="InvalidOperationException">The tape has been disposed, or the tensor belongs to another active tape.</exception>
    public Tensor Watch(Tensor tensor)
    {
        if (!IsRecording) throw new InvalidOperationException("Tape.Watch: the tape has been disposed.");
        if (tensor.Tape is { } other && other != this)
            throw new InvalidOperationException("Tape.Watch: the tensor is already tracked by another active tape.");
        tensor.AttachTape(this);
        return tensor;
    }

    /// <summary>The tape of the first tracked input, or null when none is tracked (the op then records nothing).</summary>
    public static Tape? Of(Tensor a) => a.Tape;

    public static Tape? Of(Tensor a, Tensor b) => a.Tape ?? b.Tape;

    public static Tape? Of(ReadOnlySpan<Tensor?> inputs)
    {
        foreach (Tensor? t in inputs)
            if (t?.Tape is { } tape) return tape;
        return null;
    }

    /// <summary>Appends a node for <paramref name="output"/> and marks the output as tracked.</summary>
    public Node Record(string op, Tensor output, Tensor[] inputs, BackwardFn backward, object? state = null)
    {
        if (!IsRecording) throw new InvalidOperationException($"Tape.Record({op}): the tape has been disposed.");
        var node = new Node(op, output, inputs, backward, state);
        output.AttachTape(this);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Reverse-mode gradient of <paramref name="root"/>.</summary>
    /// <param name="root">A tracked tensor (any shape).</param>
    /// <param name="seed">dL/droot; defaults to ones (so a scalar root gives plain gradients).</param>
    /// <param name="into">A store to accumulate into (gradients add across calls); a new one when null.</param>
    /// <param name="rule">Per-node override of the backward; return null to keep the op's own.</param>
    /// <returns>Gradients for every tracked tensor that <paramref name="root"/> depends on, intermediates included unless
    /// <see cref="KeepIntermediateGradients"/> is false.</returns>
    /// <exception cref="ArgumentException">The root is not tracked by this tape or the seed's shape differs.</exception>
    public GradStore Backward(Tensor root, Tensor? seed = null, GradStore? into = null, Func<Node, BackwardFn?>? rule = null)
    {
        if (root.Tape != this)
            throw new ArgumentException("Tape.Backward: the root tensor is not tracked by this tape (did you Watch its inputs?).", nameof(root));
        if (seed is not null && !seed.Shape.SequenceEqual(root.Shape))
            throw new ArgumentException($"Tape.Backward: seed shape {seed.ShapeString} differs from root shape {root.ShapeString}.", nameof(seed));

        // The walk uses a fresh store so that gradients already in `into` are not pushed through the graph again.
        var grads = new GradStore { DropsIntermediates = !KeepIntermediateGradients };
        Tensor rootGrad = grads.For(root);
        if (seed is null) System.Numerics.Tensors.TensorPrimitives.Add(rootGrad.Data, 1f, rootGrad.Data);
        else System.Numerics.Tensors.TensorPrimitives.Add(rootGrad.Data, seed.Data, rootGrad.Data);

        // Only nodes recorded up to the root can contribute; skip later ones.
        int last = _nodes.FindLastIndex(n => ReferenceEquals(n.Output, root));
        for (int i = last; i >= 0; i--)
        {
            Node node = _nodes[i];
            if (!grads.TryGet(node.Output, out Tensor? dy)) continue;
            BackwardFn backward = rule?.Invoke(node) ?? node.Backward;
            backward(node, dy, grads);
            if (!KeepIntermediateGradients) grads.Remove(node.Output);
        }
        if (into is null) return grads;
        into.AddFrom(grads);
        return into;
    }

    public void Dispose() => IsRecording = false;
}
