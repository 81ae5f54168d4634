// torchvision ResNet-18/34/50/101/152 (and reduced-width variants): module paths equal torchvision's state_dict keys
// (conv1, bn1, relu, maxpool, layer1.0.conv1, …, layer4.2.downsample.0, avgpool, fc), so a torchvision checkpoint
// loads without a key map. There are no checkpoint irregularities for this family.
// Hook points: every module output at its path (e.g. "layer3.1" = block output after its last ReLU, "layer3" = stage
// output, "avgpool" = [N, C, 1, 1] features), plus per block "hook_relu1"[, "hook_relu2"] and "hook_add".
// Reference: He et al. 2015, "Deep Residual Learning for Image Recognition", https://arxiv.org/abs/1512.03385;
// torchvision/models/resnet.py (v1.5).

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>A torchvision ResNet. Dimension letters: N batch, C channels, H, W spatial.</summary>
public sealed class ResNet : RootModule, IImageClassifier
{
    /// <summary>Builds the model; weights come from <paramref name="ws"/> (a checkpoint or a seeded initialiser).</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public ResNet(WeightSource ws, ResNetConfig config) : base(ws)
    {
        config.Validate();
        Config = config;
        int w = config.Width;
        Conv1 = Child(new Conv2d(ws.At("conv1"), config.InChannels, w, kernel: 7, stride: 2, padding: 3, bias: false));
        Bn1 = Child(new BatchNorm2d(ws.At("bn1"), w));
        Relu = Child(new Relu(ws.At("relu")));
        MaxPool = Child(new MaxPool2d(ws.At("maxpool"), kernel: 3, stride: 2, padding: 1));
        var stages = new List<ResNetStage>(4);
        int channels = w;
        for (int i = 0; i < 4; i++)
        {
            var stage = new ResNetStage(ws.At($"layer{i + 1}"), config.Block, channels, w << i, config.Layers[i],
                stride: i == 0 ? 1 : 2, config.Groups, config.WidthPerGroup);
            stages.Add(Child(stage));
            channels = stage.OutChannels;
        }
        Stages = stages;
        AvgPool = Child(new AdaptiveAvgPool2d(ws.At("avgpool"), 1, 1));
        Fc = Child(new Linear(ws.At("fc"), channels, config.Classes));
    }

    public ResNetConfig Config { get; }

    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Relu Relu { get; }
    public MaxPool2d MaxPool { get; }

    /// <summary>"layer1" … "layer4".</summary>
    public IReadOnlyList<ResNetStage> Stages { get; }

    public AdaptiveAvgPool2d AvgPool { get; }
    public Linear Fc { get; }

    public int Classes => Config.Classes;

    public (int Channels, int Height, int Width) InputSize => (Config.InChannels, 224, 224);

    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor images) // [N, C, H, W]
    {
        ImageInput.Check("resnet", images, Config.InChannels);
        Tensor stem = ConvBnAct.CanFuse(this, images)
            ? ConvBnAct.Forward(Conv1, Bn1, images, relu: true)                         // [N, W0, H/2, W/2], fused stem
            : Relu.Forward(Bn1.Forward(Conv1.Forward(images)));                         // [N, W0, H/2, W/2]
        Tensor x = MaxPool.Forward(stem);                                               // [N, W0, H/4, W/4]
        ReleaseIntermediate(stem);
        foreach (ResNetStage stage in Stages)
        {
            Tensor y = stage.Forward(x);                                                // [N, 8·W0·e, H/32, W/32] at the end
            ReleaseIntermediate(x);
            x = y;
        }
        Tensor pooled = AvgPool.Forward(x);                                             // [N, 8·W0·e, 1, 1]
        ReleaseIntermediate(x);
        x = pooled;
        x = Ops.Reshape(x, x.Dim(0), x.Dim(1));                                         // [N, 8·W0·e]
        return Fc.Forward(x);                                                           // [N, Classes]
    }
}
