// The recorded forward graph as LRP sees it: the tape's nodes, who produced and who consumes each tensor, and what the
// canonizers decided (folded parameters for a layer, residual sums). Canonizers rewrite this view, never the model,
// so attribution is thread-safe and nothing needs restoring (zennit patches parameters in place and reverts them).

using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.Attribution;

/// <summary>A taped forward pass with canonizer decisions.</summary>
public sealed class LrpGraph
{
    private readonly Dictionary<Tensor, Node> _producer = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, int> _consumers = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Node, AffineLayer> _layers = [];
    private readonly Dictionary<Node, Rules.NodeRule> _rules = [];
    private readonly HashSet<Node> _sums = [];

    /// <param name="nodes">The tape's nodes in recording order.</param>
    public LrpGraph(IReadOnlyList<Node> nodes)
    {
        Nodes = nodes;
        foreach (Node n in nodes)
        {
            _producer[n.Output] = n;
            foreach (Tensor t in n.Inputs) _consumers[t] = _consumers.GetValueOrDefault(t) + 1;
        }
    }

    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>The node whose output is <paramref name="t"/>, or null (an input or a parameter).</summary>
    public Node? ProducerOf(Tensor t) => _producer.GetValueOrDefault(t);

    /// <summary>How many recorded nodes read <paramref name="t"/>.</summary>
    public int ConsumerCount(Tensor t) => _consumers.GetValueOrDefault(t);

    /// <summary>Canonized parameters for a convolution/dense node (e.g. with a batch norm folded in).</summary>
    public void SetLayer(Node node, AffineLayer layer) => _layers[node] = layer;

    /// <summary>A fixed rule for a node, overriding the composite.</summary>
    public void SetRule(Node node, Rules.NodeRule rule) => _rules[node] = rule;

    /// <summary>Marks a node as a sum whose relevance splits by the composite's Sum rule.</summary>
    public void MarkSum(Node node) => _sums.Add(node);

    internal AffineLayer? LayerOf(Node node) => _layers.GetValueOrDefault(node);

    internal Rules.NodeRule? RuleOf(Node node) => _rules.GetValueOrDefault(node);

    internal bool IsSum(Node node) => _sums.Contains(node);
}
