// Transforms against torchvision 0.14 / Pillow 9.4 on the same decoded images: Resize (shorter side, exact size,
// bilinear and bicubic, RGB / L / LA / RGBA, up and down), CenterCrop (odd offsets, padding), convert("RGB"/"L"),
// ToTensor, Normalize, and full ImageNet-style pipelines.

using Unravel.IO.Images;
using Unravel.Tensors;
using Xunit.Abstractions;

namespace Unravel.IO.Tests.Images;

public sealed class ImageTransformsTests(ITestOutputHelper output)
{
    public static TheoryData<string> ImageCases => ImageFixtures.Names("transforms", e => e.Has("image"));

    public static TheoryData<string> TensorCases => ImageFixtures.Names("transforms", e => e.Has("tensor"));

    private static Image Source(FixtureEntry e) => Image.Load(ImageFixtures.PathOf(e.String("source")));

    [Theory]
    [MemberData(nameof(ImageCases))]
    public void Transform_Fixture_EqualsTorchvision(string name)
    {
        FixtureEntry e = ImageFixtures.Find("transforms", name);
        Image src = Source(e);
        Image actual = e.String("op") switch
        {
            "resize" => ImageTransforms.ResizeShorterSide(src, e.Arg("size")),
            "resize_exact" => ImageTransforms.Resize(src, e.Arg("width"), e.Arg("height")),
            "resize_bicubic" => ImageTransforms.Resize(src, e.Arg("width"), e.Arg("height"), ResampleFilter.Bicubic),
            "center_crop" => ImageTransforms.CenterCrop(src, e.Arg("height"), e.Arg("width")),
            "to_rgb" => src.ToRgb(),
            "to_gray" => src.ToGray(),
            string op => throw new InvalidOperationException(op),
        };
        // Pillow's resampler is reproduced in its integer arithmetic, so bytes are expected to be equal.
        int max = ImageFixtures.AssertPixels(e.Array("image"), actual, 0, name);
        output.WriteLine($"{name}: maxDiff {max}");
    }

    [Theory]
    [MemberData(nameof(TensorCases))]
    public void Pipeline_Fixture_EqualsTorchvisionBitForBit(string name)
    {
        FixtureEntry e = ImageFixtures.Find("transforms", name);
        Image src = Source(e);
        Tensor actual = e.String("op") switch
        {
            "to_tensor" => ImageTransforms.ToTensor(src),
            "pipeline" => new ImagePreprocessing
            {
                ResizeTo = e.Arg("resize"),
                CropTo = e.Arg("crop"),
                Mean = e.ArgFloats("mean"),
                Std = e.ArgFloats("std"),
            }.Apply(src),
            string op => throw new InvalidOperationException(op),
        };
        FixtureArray expected = e.Array("tensor");
        Assert.Equal(expected.Shape, actual.Shape.ToArray());
        float[] want = expected.F32();
        ReadOnlySpan<float> got = actual.Data;
        double max = 0;
        int exact = 0;
        for (int i = 0; i < want.Length; i++)
        {
            max = Math.Max(max, Math.Abs(want[i] - got[i]));
            exact += want[i] == got[i] ? 1 : 0;
        }
        output.WriteLine($"{name}: maxDiff {max:E3}, {exact} of {want.Length} values bit-equal");
        // Resize and crop reproduce Pillow's integer arithmetic and ToTensor/Normalize torchvision's float32 order of
        // operations, so every value is expected to be the same float, not merely close.
        Assert.True(exact == want.Length, $"{name}: {want.Length - exact} of {want.Length} values differ (maxDiff {max:E3})");
    }

    [Fact]
    public void ImageNet_Preset_IsTheTorchvisionRecipe()
    {
        FixtureEntry e = ImageFixtures.Find("transforms", "pipeline256_224_pil_rgb_300x200");
        Tensor t = ImagePreprocessing.ImageNet.Apply(Source(e));
        Assert.Equal([3, 224, 224], t.Shape.ToArray());
        Assert.Equal(e.Array("tensor").F32(), t.ToArray());
    }

    [Fact]
    public void ApplyBatch_TwoImages_StacksApplyResults()
    {
        Image a = Image.Load(ImageFixtures.PathOf("png/pil_rgb_300x200.png"));
        Image b = Image.Load(ImageFixtures.PathOf("jpeg/gray_q75_37x53.jpg"));
        var prep = new ImagePreprocessing { ResizeTo = 40, CropTo = 32 };
        Tensor batch = prep.ApplyBatch([a, b]);
        Assert.Equal([2, 3, 32, 32], batch.Shape.ToArray());
        float[] expected = [.. prep.Apply(a).ToArray(), .. prep.Apply(b).ToArray()];
        Assert.Equal(expected, batch.ToArray());
    }

    [Fact]
    public void ApplyBatch_DifferentSizesWithoutCrop_Throws()
    {
        var prep = new ImagePreprocessing { ResizeTo = 16, CropTo = 0 };
        var ex = Assert.Throws<ArgumentException>(() => prep.ApplyBatch([Image.Create(20, 10, 3), Image.Create(10, 10, 3)]));
        Assert.Contains("CropTo", ex.Message);
    }

    [Fact]
    public void Grayscale_Preset_GivesOneChannel()
    {
        var prep = new ImagePreprocessing { ResizeTo = 0, CropTo = 28, Grayscale = true, Mean = [0.5f], Std = [0.25f] };
        Image img = Image.Load(ImageFixtures.PathOf("png/rgb8_37x53.png"));
        Tensor t = prep.Apply(img);
        Assert.Equal([1, 28, 28], t.Shape.ToArray());
        Image crop = ImageTransforms.CenterCrop(img.ToGray(), 28);
        Assert.Equal((crop.Pixels[0] / 255f - 0.5f) / 0.25f, t.Data[0]);
    }

    [Fact]
    public void Normalize_WrongChannelCount_ThrowsNamingShapes()
    {
        Tensor t = Tensor.Zeros(2, 4, 4);
        var ex = Assert.Throws<ArgumentException>(() => ImageTransforms.Normalize(t, [0.5f, 0.5f, 0.5f], [1f, 1f, 1f]));
        Assert.Contains("Normalize", ex.Message);
        Assert.Contains("[2, 4, 4]", ex.Message);
    }

    [Fact]
    public void Normalize_Batch_NormalizesPerChannel()
    {
        Tensor t = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], 2, 2, 1, 2);  // [N, C, H, W]
        Tensor y = ImageTransforms.Normalize(t, [1f, 2f], [2f, 4f]);
        // channel 0: (x - 1) / 2, channel 1: (x - 2) / 4
        Assert.Equal([0f, 0.5f, 0.25f, 0.5f, 2f, 2.5f, 1.25f, 1.5f], y.ToArray());
        Assert.Equal(1f, t.Data[0]);  // input untouched
    }

    [Fact]
    public void ResizeShorterSide_AlreadyThatSize_ReturnsSameInstance()
    {
        Image img = Image.Create(10, 20, 3);
        Assert.Same(img, ImageTransforms.ResizeShorterSide(img, 10));
    }

    [Fact]
    public void Resize_NonPositiveSize_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => ImageTransforms.Resize(Image.Create(4, 4, 1), 0, 3));
        Assert.Contains("0x3", ex.Message);
    }

    [Fact]
    public void Crop_OutsideImage_FillsZeros()
    {
        var img = new Image(2, 2, 1, [1, 2, 3, 4]);
        Image c = ImageTransforms.Crop(img, -1, 1, 3, 2);
        Assert.Equal(new byte[] { 0, 0, 2, 0, 4, 0 }, c.Pixels);
    }
}
