// Receptive fields against hand computation with the recurrences r_out = r_in + (k − 1)·j_in, j_out = j_in·s,
// offset_out = offset_in − p·j_in (Araujo et al., Distill 2019), for torchvision ResNet-18 (the well-known 435-pixel
// field of layer4), VGG-11 (150 pixels at features) and the small ResNet for 28×28 images.

using Unravel.Nn;
using Unravel.Interpret.Collection;
using Unravel.Models;
using Unravel.Models.Vision;

namespace Unravel.Interpret.Tests.Collection;

public sealed class ReceptiveFieldTests
{
    // ResNet-18 on 224×224. Stem: conv1 7×7 s2 p3 → r 7, j 2, offset −3; maxpool 3×3 s2 p1 → r 7+2·2 = 11, j 4, offset −3−2 = −5.
    // layer1: four 3×3 p1 convs at j 4 → r 11+4·2·4 = 43, offset −5−4·4 = −21.
    // layer2: conv1 s2 at j 4 → r 51, j 8, offset −25; three more at j 8 → r 51+3·16 = 99, offset −25−3·8 = −49.
    // layer3: conv1 s2 at j 8 → r 115, j 16, offset −57; three more → r 115+3·32 = 211, offset −57−48 = −105.
    // layer4: conv1 s2 at j 16 → r 243, j 32, offset −121; three more → r 243+3·64 = 435, offset −121−96 = −217.
    [Theory]
    [InlineData("layer1", 43, 4, -21, 56)]
    [InlineData("layer2", 99, 8, -49, 28)]
    [InlineData("layer3", 211, 16, -105, 14)]
    [InlineData("layer4", 435, 32, -217, 7)]
    [InlineData("maxpool", 11, 4, -5, 56)]
    [InlineData("layer2.0.hook_relu1", 51, 8, -25, 28)]
    [InlineData("layer2.0.downsample", 43, 8, -21, 28)]   // layer1 then a 1×1 stride-2 conv: size kept, jump doubled
    public void ResNet18_Stages_MatchClosedForm(string hook, int size, int jump, int offset, int units)
    {
        RootModule model = ModelRegistry.Get("resnet18").Create(WeightSource.Initialize(0));
        ReceptiveField rf = ReceptiveField.Of(model, hook, 224, 224);
        Assert.False(rf.Global);
        Assert.Equal(new ReceptiveFieldAxis(size, jump, offset, 224, units), rf.Rows);
        Assert.Equal(rf.Rows, rf.Columns);
        Assert.Equal(0.0, rf.Rows.Start);   // symmetric padding keeps unit 0 centred on pixel 0
    }

    [Fact]
    public void ResNet18_FcAndAvgPool_SeeTheWholeImage()
    {
        RootModule model = ModelRegistry.Get("resnet18").Create(WeightSource.Initialize(0));
        Assert.True(ReceptiveField.Of(model, "fc", 224, 224).Global);
        ReceptiveField pool = ReceptiveField.Of(model, "avgpool", 224, 224);
        Assert.True(pool.Global);
        Assert.Equal((0, 0, 224, 224), pool.Region(0));
    }

    // small-resnet on 28×28: conv1 3×3 p1 → r 3, offset −1; layer1.0 two 3×3 → r 7, offset −3;
    // layer2.0 conv1 s2 → r 9, j 2, offset −4; conv2 at j 2 → r 13, offset −6; layer3.0 conv1 s2 → r 17, j 4, offset −8;
    // conv2 at j 4 → r 25, offset −12.
    [Theory]
    [InlineData("layer1", 7, 1, -3, 28)]
    [InlineData("layer2", 13, 2, -6, 14)]
    [InlineData("layer2.0.hook_relu1", 9, 2, -4, 14)]
    [InlineData("layer2.0.hook_add", 13, 2, -6, 14)]
    [InlineData("layer3", 25, 4, -12, 7)]
    public void SmallResNet_Layers_MatchHandComputation(string hook, int size, int jump, int offset, int units)
    {
        ReceptiveField rf = ReceptiveField.Of(CollectorTests.SmallResNet(), hook, 28, 28);
        Assert.Equal(new ReceptiveFieldAxis(size, jump, offset, 28, units), rf.Rows);
    }

    [Fact]
    public void SmallResNet_Region_ClipsAtTheBorder()
    {
        ReceptiveField rf = ReceptiveField.Of(CollectorTests.SmallResNet(), "layer3", 28, 28);
        // Unit (0, 0): window [−12, 13) clipped to [0, 13). Unit (3, 5) = position 26: rows [0, 25), cols [8, 28) clipped.
        Assert.Equal((0, 0, 13, 13), rf.Region(0));
        Assert.Equal((0, 8, 25, 20), rf.Region(3 * 7 + 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => rf.Region(49));
    }

    // VGG-11 features: conv 3 → pool 4 (j 2) → conv 8 → pool 10 (j 4) → conv 18, 26 → pool 30 (j 8) → conv 46, 62 →
    // pool 70 (j 16) → conv 102, 134 → pool 150 (j 32); offsets −1, −1, −3, −3, −7, −11, −11, −19, −27, −27, −43, −59, −59.
    [Theory]
    [InlineData("features.2", 4, 2, -1, 112)]
    [InlineData("features.10", 30, 8, -11, 28)]
    [InlineData("features", 150, 32, -59, 7)]
    [InlineData("avgpool", 150, 32, -59, 7)]   // 7×7 adaptive pool of a 7×7 map is the identity
    public void Vgg11_Features_MatchClosedForm(string hook, int size, int jump, int offset, int units)
    {
        var model = new Vgg(WeightSource.Initialize(0), VggConfig.Vgg11 with { WidthDivisor = 16 });
        ReceptiveField rf = ReceptiveField.Of(model, hook, 224, 224);
        Assert.False(rf.Global);
        Assert.Equal(new ReceptiveFieldAxis(size, jump, offset, 224, units), rf.Rows);
        Assert.True(ReceptiveField.Of(model, "classifier.0", 224, 224).Global);
    }

    [Fact]
    public void UnknownHook_Throws_ListingValidNames()
    {
        var e = Assert.Throws<HookNotFoundException>(() => ReceptiveField.Of(CollectorTests.SmallResNet(), "layer9", 28, 28));
        Assert.Contains("layer2.0.hook_add", e.Hint);
    }
}
