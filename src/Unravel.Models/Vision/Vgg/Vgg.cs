// torchvision VGG-11/13/16/19, with and without batch norm (and reduced-width variants): module paths equal
// torchvision's state_dict keys ("features.N", "classifier.0/3/6"), so a torchvision checkpoint loads without a key map.
// There are no checkpoint irregularities for this family.
// Hook points: every module output at its path ("features.29" a ReLU, "features.30" a max pool, "features" the trunk,
// "avgpool" [N, C, 7, 7], "classifier.4" the second hidden ReLU, "classifier" the logits).
// Reference: Simonyan & Zisserman 2014, https://arxiv.org/abs/1409.1556; torchvision/models/vgg.py.

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>A torchvision VGG. Dimension letters: N batch, C channels, H, W spatial.</summary>
public sealed class Vgg : RootModule, IImageClassifier
{
    /// <summary>Spatial size of the adaptive average pool before the classifier (torchvision: 7×7).</summary>
    public const int PoolSize = 7;

    /// <summary>Builds the model; weights come from <paramref name="ws"/> (a checkpoint or a seeded initialiser).</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public Vgg(WeightSource ws, VggConfig config) : base(ws)
    {
        config.Validate();
        Config = config;
        Features = Child(new VggFeatures(ws.At("features"), config));
        AvgPool = Child(new AdaptiveAvgPool2d(ws.At("avgpool"), PoolSize, PoolSize));
        Classifier = Child(new VggClassifier(ws.At("classifier"), Features.OutChannels * PoolSize * PoolSize,
            config.Hidden, config.Classes, config.Dropout));
    }

    public VggConfig Config { get; }
    public VggFeatures Features { get; }
    public AdaptiveAvgPool2d AvgPool { get; }
    public VggClassifier Classifier { get; }

    public int Classes => Config.Classes;

    public (int Channels, int Height, int Width) InputSize => (Config.InChannels, 224, 224);

    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor images) // [N, C, H, W]
    {
        ImageInput.Check("vgg", images, Config.InChannels);
        Tensor x = Features.Forward(images);         // [N, C', H/32, W/32]
        x = AvgPool.Forward(x);                      // [N, C', 7, 7]
        x = Ops.Reshape(x, x.Dim(0), -1);            // [N, C'·49]
        return Classifier.Forward(x);                // [N, Classes]
    }
}
