// `unravel attribute`: a heatmap of the shipped Fashion model on a test image, the colour map in closed form, and clear
// usage errors for unknown composites, layers and channels.

using System.CommandLine;
using System.Text.Json;
using Unravel.IO.Images;
using Unravel.Tensors;

namespace Unravel.Cli.Tests;

public sealed class AttributeCommandTests
{
    private static string RepoFile(params string[] parts)
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Unravel.slnx"))) return Path.Combine([d.FullName, .. parts]);
        throw new InvalidOperationException("repository root not found");
    }

    private static string TestImages => RepoFile("assets", "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");

    internal static async Task<(int Code, string Error)> Invoke(params string[] args)
    {
        RootCommand root = new() { AttributeCommand.Create() };
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    [Fact]
    public void Attribute_ShippedModelOnFirstTestImage_ExplainsItsLabelAndWritesTheHeatmap()
    {
        string png = Path.Combine(Path.GetTempPath(), $"attr-{Guid.NewGuid():N}.png");
        var output = new StringWriter();
        int code = AttributeCommand.Run(new AttributeCommand.Request(RepoFile("assets", "models", "fashion-small-resnet"), TestImages, 0,
            "epsilon-plus-flat", [], null, false, null, 1e-6f, 1e-6f, 0.25f, null, png, 0, 12, true), output);
        Assert.Equal(ExitCodes.Success, code);
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        JsonElement r = doc.RootElement;
        // Fashion-MNIST test image 0 is labelled 9 ("Ankle boot"); the shipped model (93 % accurate) gets it right.
        Assert.Equal(9, r.GetProperty("explained_class").GetProperty("id").GetInt32());
        Assert.Equal("Ankle boot", r.GetProperty("explained_class").GetProperty("label").GetString());
        // The walk is seeded with the logit.
        Assert.Equal(r.GetProperty("explained_class").GetProperty("logit").GetDouble(), r.GetProperty("relevance").GetProperty("seeded").GetDouble(), 4);
        Image heat = Png.Read(png);
        Assert.Equal((224, 224, 3), (heat.Width, heat.Height, heat.Channels)); // 28 × 8
        File.Delete(png);
    }

    [Fact]
    public async Task Attribute_SeveralInputsIntoANewFolder_CreatesItWithOneHeatmapEach()
    {
        string root = Path.Combine(Path.GetTempPath(), $"attr-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        string heat = Path.Combine(root, "heat") + Path.DirectorySeparatorChar;   // not there yet, as in the README's tour
        try
        {
            (int code, string error) = await Invoke("attribute", "fashion-small-resnet", "--input", TestImages, "--count", "2", "--out", heat);
            Assert.True(code == ExitCodes.Success, error);
            string[] pngs = Directory.GetFiles(heat, "*.png");
            Assert.Equal(2, pngs.Length);
            Assert.All(pngs, p => Assert.Equal((224, 224, 3), (Png.Read(p).Width, Png.Read(p).Height, Png.Read(p).Channels)));

            (code, error) = await Invoke("attribute", "fashion-small-resnet", "--input", TestImages, "--count", "2",
                "--out", Path.Combine(root, "missing", "heat") + Path.DirectorySeparatorChar);
            Assert.Equal(ExitCodes.UsageError, code);                   // its parent must exist
            Assert.Contains("does not exist", error);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Render_SignedValues_RedPositiveBlueNegativeOnSymmetricScale()
    {
        // max |h| = 2: +2 → pure red, −1 → half blue (fade 128), 0 → white.
        Image img = AttributeCommand.Render(Tensor.FromArray([2f, -1f, 0f], 1, 1, 3), 1);
        Assert.Equal(new byte[] { 255, 0, 0, 128, 128, 255, 255, 255, 255 }, img.Pixels);
    }

    [Theory]
    [InlineData("--composite", "nope", "unknown composite 'nope'")]
    [InlineData("--condition", "layer9.0:1", "'layer9.0' matches no hook point")]
    [InlineData("--condition", "layer2.0:99", "channel 99 is out of range for layer 'layer2.0', which has 32 channels")]
    [InlineData("--condition", "layer2.0", "expected LAYER:CHANNEL")]
    [InlineData("--target", "10", "target class 10 is out of range")]
    [InlineData("--gamma", "-1", "must be ≥ 0")]
    public async Task Attribute_BadOption_ExitsWithUsageErrorAndHint(string option, string value, string message)
    {
        string png = Path.Combine(Path.GetTempPath(), $"attr-{Guid.NewGuid():N}.png");
        (int code, string error) = await Invoke("attribute", "fashion-small-resnet", "--input", TestImages, option, value, "--out", png);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(message, error);
        Assert.Contains("hint:", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(File.Exists(png));
    }
}
