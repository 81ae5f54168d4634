// Parameter-free activation and shape layers, as modules so that they have paths and hooks
// (torchvision's ResNet and VGG name their ReLUs, e.g. "features.2").

namespace Unravel.Nn.Layers;

/// <summary>torch.nn.ReLU.</summary>
public sealed class Relu(WeightSource ws) : Module(ws)
{
    public Tensor Forward(Tensor x) => Output(Own(Ops.Relu(x)));
}

/// <summary>torch.nn.MaxPool2d (square kernel).</summary>
public sealed class MaxPool2d(WeightSource ws, int kernel, int stride, int padding = 0) : Module(ws)
{
    public int KernelSize { get; } = kernel;
    public int Stride { get; } = stride;
    public int Padding { get; } = padding;

    public Tensor Forward(Tensor x) => Output(Own(Ops.MaxPool2d(x, KernelSize, Stride, Padding)));
}

/// <summary>torch.nn.AdaptiveAvgPool2d.</summary>
public sealed class AdaptiveAvgPool2d(WeightSource ws, int outH, int outW) : Module(ws)
{
    public (int H, int W) OutputSize { get; } = (outH, outW);

    public Tensor Forward(Tensor x) => Output(Own(Ops.AdaptiveAvgPool2d(x, OutputSize)));
}

/// <summary>torch.nn.Dropout; identity in eval mode (its hook point still fires, so "classifier.2" can be cached).</summary>
public sealed class Dropout(WeightSource ws, float p, int seed = 0) : Module(ws)
{
    private readonly Random _rng = new(seed);

    public float P { get; } = p;

    public Tensor Forward(Tensor x) => Output(Training && P > 0 ? Own(Ops.Dropout(x, P, true, _rng)) : x);
}
