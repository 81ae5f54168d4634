// One recorded op on a tape: its inputs, output, the saved state its backward needs, and the backward.

namespace Unravel.Tensors.Autograd;

/// <summary>Propagates the output gradient <paramref name="dy"/> of <paramref name="node"/> into its inputs.</summary>
/// <remarks>Implementations accumulate into <see cref="GradStore.For"/> and touch only inputs that
/// <see cref="GradStore.Wants"/> reports as tracked.</remarks>
public delegate void BackwardFn(Node node, Tensor dy, GradStore grads);

/// <summary>A tape entry. <see cref="Owner"/> lets layers tag their nodes so LRP can swap rules per layer.</summary>
public sealed class Node
{
    internal Node(string op, Tensor output, Tensor[] inputs, BackwardFn backward, object? state)
    {
        Op = op;
        Output = output;
        Inputs = inputs;
        Backward = backward;
        State = state;
    }

    /// <summary>Op name, e.g. "conv2d".</summary>
    public string Op { get; }

    public Tensor Output { get; }

    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>The op's own gradient rule.</summary>
    public BackwardFn Backward { get; }

    /// <summary>Whatever the forward saved for backward (argmax indices, normalisation stats, attributes).</summary>
    public object? State { get; }

    /// <summary>The layer or module that recorded this node, if any (set by Unravel.Nn).</summary>
    public object? Owner { get; set; }

    public override string ToString() => $"{Op} -> {Output.ShapeString}";
}
