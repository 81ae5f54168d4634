// VGG's convolutional trunk, torchvision's `features` Sequential: for each channel count a Conv2d(3×3, pad 1, bias),
// [BatchNorm2d,] ReLU, and for each "M" a MaxPool2d(2, 2), indexed in that order ("features.0", "features.1", …).

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>The indexed layers of VGG's <c>features</c>; every layer's output is a hook point ("features.N").</summary>
public sealed class VggFeatures : Module
{
    public VggFeatures(WeightSource ws, VggConfig config) : base(ws)
    {
        var layers = new List<Module>();
        int channels = config.InChannels;
        foreach (int v in config.Layers)
        {
            if (v == VggConfig.Pool)
            {
                layers.Add(Child(new MaxPool2d(ws.At(layers.Count), kernel: 2, stride: 2)));
                continue;
            }
            int outChannels = v / config.WidthDivisor;
            layers.Add(Child(Conv2d.Create(ws.At(layers.Count), channels, outChannels, kernel: 3, padding: 1)));
            if (config.BatchNorm) layers.Add(Child(new BatchNorm2d(ws.At(layers.Count), outChannels)));
            layers.Add(Child(new Relu(ws.At(layers.Count))));
            channels = outChannels;
        }
        Layers = layers;
        OutChannels = channels;
    }

    /// <summary>Conv2d, BatchNorm2d, Relu and MaxPool2d modules in torchvision's index order.</summary>
    public IReadOnlyList<Module> Layers { get; }

    public int OutChannels { get; }

    public Tensor Forward(Tensor x) // [N, C, H, W]
    {
        foreach (Module layer in Layers)
        {
            x = layer switch // [N, C', H', W']
            {
                Conv2d conv => conv.Forward(x),
                BatchNorm2d bn => bn.Forward(x),
                Relu relu => relu.Forward(x),
                MaxPool2d pool => pool.Forward(x),
                _ => throw new InvalidOperationException($"vgg: unexpected layer {layer} in features."),
            };
        }
        return Output(x);
    }
}
