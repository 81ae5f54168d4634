// A small CNN for 28×28 gray images, in two flavours: a ResNet-style model ("small-resnet") and a plain one
// ("small-cnn"). Paths follow torchvision's ResNet (conv1, bn1, relu, layer1.0.conv1, layer2.0.downsample.0, avgpool,
// fc) so ResNet tooling (BN canonizers, name-based LRP maps, hook globs) applies unchanged; there is no max pool in
// the stem because the images are already small.
// Reference: He et al. 2015, https://arxiv.org/abs/1512.03385 (the block design); Xiao et al. 2017, Fashion-MNIST,
// https://arxiv.org/abs/1708.07747 (the intended data).

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>Stem, residual or plain stages, global average pool, linear classifier. Dimension letters: N, C, H, W.</summary>
public sealed class SmallCnn : RootModule, IImageClassifier
{
    /// <summary>Builds the model; weights come from <paramref name="ws"/> (a checkpoint or a seeded initialiser).</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public SmallCnn(WeightSource ws, SmallCnnConfig config) : base(ws)
    {
        config.Validate();
        Config = config;
        int w0 = config.Widths[0];
        Conv1 = Child(new Conv2d(ws.At("conv1"), config.InChannels, w0, kernel: 3, padding: 1, bias: !config.BatchNorm));
        Bn1 = config.BatchNorm ? Child(new BatchNorm2d(ws.At("bn1"), w0)) : null;
        Relu = Child(new Relu(ws.At("relu")));
        ResNetBlockKind kind = config.Residual ? ResNetBlockKind.Basic : ResNetBlockKind.Plain;
        var stages = new List<ResNetStage>(config.Widths.Count);
        int channels = w0;
        for (int i = 0; i < config.Widths.Count; i++)
        {
            var stage = new ResNetStage(ws.At($"layer{i + 1}"), kind, channels, config.Widths[i], config.BlocksPerStage,
                stride: i == 0 ? 1 : 2, batchNorm: config.BatchNorm);
            stages.Add(Child(stage));
            channels = stage.OutChannels;
        }
        Stages = stages;
        AvgPool = Child(new AdaptiveAvgPool2d(ws.At("avgpool"), 1, 1));
        Fc = Child(new Linear(ws.At("fc"), channels, config.Classes));
    }

    public SmallCnnConfig Config { get; }

    public Conv2d Conv1 { get; }

    /// <summary>Null without batch norm.</summary>
    public BatchNorm2d? Bn1 { get; }

    public Relu Relu { get; }

    /// <summary>"layer1", "layer2", ….</summary>
    public IReadOnlyList<ResNetStage> Stages { get; }

    public AdaptiveAvgPool2d AvgPool { get; }
    public Linear Fc { get; }

    public int Classes => Config.Classes;

    public (int Channels, int Height, int Width) InputSize => (Config.InChannels, Config.ImageSize, Config.ImageSize);

    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor images) // [N, C, H, W]
    {
        ImageInput.Check("small-cnn", images, Config.InChannels);
        Tensor x = Conv1.Forward(images);                           // [N, W0, H, W]
        if (Bn1 is not null) x = Bn1.Forward(x);                    // [N, W0, H, W]
        x = Relu.Forward(x);                                        // [N, W0, H, W]
        foreach (ResNetStage stage in Stages) x = stage.Forward(x); // [N, Wk, H/2^k, W/2^k]
        x = AvgPool.Forward(x);                                     // [N, Wk, 1, 1]
        x = Ops.Reshape(x, x.Dim(0), x.Dim(1));                     // [N, Wk]
        return Fc.Forward(x);                                       // [N, Classes]
    }
}
