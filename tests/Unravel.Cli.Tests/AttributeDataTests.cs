// Attribution as data: `attribute --save-relevance/--layer-relevance` writes the library's arrays bit for bit (LRP and
// CRP-conditioned, single inputs and batches from IDX files, image folders and .npy arrays), records seed and composite
// in the JSON sidecar, --no-preprocess feeds a preprocessed 224×224 input unchanged, and every new option refuses bad
// input with one message and a hint.

using System.Text.Json;
using Unravel.Interpret.Attribution;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Cli.Tests;

public sealed class AttributeDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-attr-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string TestImages => Assets.PathOf("data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");

    private static AttributeCommand.Request Request(string model, string input, string? save, params string[] layers) =>
        new(model, input, 0, "epsilon-plus-flat", [], null, false, null, 1e-6f, 1e-6f, 0.25f, null, null, 0, 12, true)
        {
            SaveRelevance = save, LayerRelevance = layers,
        };

    private static LrpOptions Options(float[] low, float[] high, string[] record, params string[] conditions) => new()
    {
        Composite = Composites.Create("epsilon-plus-flat", new CompositeSettings { Epsilon = 1e-6f, Stabilizer = 1e-6f, Gamma = 0.25f, Low = low, High = high }),
        Canonizers = Canonizers.ResNet,
        RecordLayers = record,
        Conditions = [.. conditions.Select(ChannelCondition.Parse)],
    };

    private static void AssertBitEqual(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        int[] diff = [.. Enumerable.Range(0, expected.Length).Where(i => BitConverter.SingleToInt32Bits(expected.Data[i]) != BitConverter.SingleToInt32Bits(actual.Data[i])).Take(5)];
        Assert.True(diff.Length == 0, $"{diff.Length}+ elements differ, first at {string.Join(", ", diff.Select(i => $"[{i}] {expected.Data[i]:G9} vs {actual.Data[i]:G9}"))}");
    }

    [Fact]
    public void SaveRelevance_IdxBatchWithLayer_EqualsTheLibrarysArraysBitForBit()
    {
        string file = Path.Combine(_dir, "rel.npy");
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, AttributeCommand.Run(Request("fashion-small-resnet", TestImages, file, "layer2") with { Count = 3, Batch = 3 }, output));

        RootModule model = ModelReference.Load("fashion-small-resnet", null).Model;
        Tensor x = Idx.ReadImages(TestImages, 3);                                                          // [3, 1, 28, 28]
        LrpResult expected = Lrp.Attribute(model, x, Options([0f], [1f], ["layer2"]));
        AssertBitEqual(expected.InputRelevance, Npy.Read(file));
        AssertBitEqual(expected.LayerRelevance["layer2"], Npy.Read(Path.Combine(_dir, "rel.layer2.npy")));

        using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "rel.json")));
        JsonElement seed = sidecar.RootElement.GetProperty("seed");
        Assert.Equal("logit", seed.GetProperty("kind").GetString());
        Assert.Equal(expected.Classes, seed.GetProperty("classes").EnumerateArray().Select(e => e.GetInt32()));
        for (int i = 0; i < 3; i++)
            Assert.Equal(expected.Output.Data[i * 10 + expected.Classes[i]], seed.GetProperty("values")[i].GetSingle());
        Assert.Equal("epsilon-plus-flat", sidecar.RootElement.GetProperty("composite").GetProperty("name").GetString());
        Assert.Equal([3, 1, 28, 28], sidecar.RootElement.GetProperty("arrays").GetProperty("input_relevance").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void SaveRelevance_CrpConditionOnFolderOfPngs_EqualsTheLibrarysConditionalMaps()
    {
        Tensor x = Idx.ReadImages(TestImages, 2);                                                          // [2, 1, 28, 28]
        string folder = Path.Combine(_dir, "pngs");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 2; i++)
        {
            Image img = Image.Create(28, 28, 1);
            for (int p = 0; p < 784; p++) img.Pixels[p] = (byte)MathF.Round(x.Data[i * 784 + p] * 255f);
            Png.Write(Path.Combine(folder, $"{i}.png"), img);
        }
        string file = Path.Combine(_dir, "crp.npy"), heat = Path.Combine(_dir, "heat");
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, AttributeCommand.Run(Request("fashion-small-resnet", folder, file, "layer2.0") with
        {
            Conditions = ["layer2.0:5"], Out = heat, Batch = 2, Json = false,
        }, output));
        Assert.Equal(2, Directory.GetFiles(heat, "*.png").Length);

        RootModule model = ModelReference.Load("fashion-small-resnet", null).Model;
        LrpResult expected = Lrp.Attribute(model, x, Options([0f], [1f], ["layer2.0"], "layer2.0:5"));
        AssertBitEqual(expected.InputRelevance, Npy.Read(file));
        Tensor layer = Npy.Read(Path.Combine(_dir, "crp.layer2.0.npy"));
        AssertBitEqual(expected.LayerRelevance["layer2.0"], layer);
        // The conditional map is masked to channel 5 (CRP, Achtibat et al. 2023, eq. 6): every other channel is zero.
        int c = layer.Dim(1), hw = layer.Dim(2) * layer.Dim(3);
        for (int n = 0; n < 2; n++)
            for (int ch = 0; ch < c; ch++)
                if (ch != 5) Assert.All(layer.Data.Slice((n * c + ch) * hw, hw).ToArray(), v => Assert.Equal(0f, v));
        using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "crp.json")));
        Assert.Equal("layer2.0:5", sidecar.RootElement.GetProperty("conditions")[0].GetString());
    }

    [Fact]
    public void NoPreprocess_Preprocessed224Input_IsFedUnchanged()
    {
        // A normalised 3×224×224 input as .npy, and the same tensor's pixels as a 224×224 PNG.
        var rng = new Random(7);
        Image img = Image.Create(224, 224, 3);
        rng.NextBytes(img.Pixels);
        string png = Path.Combine(_dir, "in.png");
        Png.Write(png, img);
        Tensor pixels = ImageTransforms.ToTensor(img);                                                     // [3, 224, 224] in [0, 1]
        Tensor normalised = (ImagePreprocessing.ImageNet with { ResizeTo = 0, CropTo = 0 }).Apply(img);        // [3, 224, 224]
        string npy = Path.Combine(_dir, "in.npy");
        Npy.Write(npy, normalised);

        RootModule model = ModelReference.Load("resnet18", null).Model;
        float[] mean = [.. ImagePreprocessing.ImageNet.Mean], std = [.. ImagePreprocessing.ImageNet.Std];
        // .npy: used as stored (with or without --no-preprocess); box bounds from the model's ImageNet normalisation.
        string a = Path.Combine(_dir, "a.npy");
        Assert.Equal(ExitCodes.Success, AttributeCommand.Run(Request("resnet18", npy, a) with { NoPreprocess = true }, TextWriter.Null));
        LrpResult expected = Lrp.Attribute(model, normalised.Reshape(1, 3, 224, 224),
            Options([.. mean.Zip(std, (m, s) => (0f - m) / s)], [.. mean.Zip(std, (m, s) => (1 - m) / s)], []));
        AssertBitEqual(expected.InputRelevance, Npy.Read(a));

        // PNG with --no-preprocess: pixels / 255, no resize (256) or crop, box bounds [0, 1].
        string b = Path.Combine(_dir, "b.npy");
        Assert.Equal(ExitCodes.Success, AttributeCommand.Run(Request("resnet18", png, b) with { NoPreprocess = true }, TextWriter.Null));
        AssertBitEqual(Lrp.Attribute(model, pixels.Reshape(1, 3, 224, 224), Options([0f, 0f, 0f], [1f, 1f, 1f], [])).InputRelevance, Npy.Read(b));

        // The default preprocessing (resize 256, crop 224) would change this input: the checks above are not vacuous.
        Tensor resized = ImagePreprocessing.ImageNet.Apply(img);                                          // [3, 224, 224]
        Assert.True(Enumerable.Range(0, resized.Length).Max(i => Math.Abs(resized.Data[i] - normalised.Data[i])) > 0.1f);
    }

    [Fact]
    public async Task Attribute_BadDataOptions_ExitWithOneMessageAndHint()
    {
        string npy2 = Path.Combine(_dir, "flat.npy");
        Npy.Write(npy2, Tensor.Zeros(4, 4));
        string npy = Path.Combine(_dir, "one.npy");
        Npy.Write(npy, Tensor.Zeros(1, 28, 28));
        string png = Path.Combine(_dir, "one.png");
        Png.Write(png, Image.Create(28, 28, 1));
        string rel = Path.Combine(_dir, "r.npy"), heat = Path.Combine(_dir, "h.png");
        (string[] Args, string Expected)[] cases =
        [
            (["--input", png, "--no-preprocess", "--resize", "28", "--out", heat], "--no-preprocess cannot be combined"),
            (["--input", png, "--save-relevance", Path.Combine(_dir, "r.txt")], "the file must end in .npy"),
            (["--input", png, "--out", heat, "--layer-relevance", "layer2"], "needs --save-relevance"),
            (["--input", png, "--save-relevance", rel, "--layer-relevance", "layer9"], "'layer9' matches no hook point"),
            (["--input", png, "--save-relevance", rel, "--layer-relevance", "a/b"], "is not a layer name"),
            (["--input", png], "attribute writes nothing"),
            (["--input", TestImages, "--count", "0", "--out", heat], "--count must be at least 1"),
            (["--input", TestImages, "--batch", "0", "--out", heat], "--batch must be at least 1"),
            (["--input", TestImages, "--index", "-1", "--out", heat], "--index must be ≥ 0"),
            (["--input", npy, "--index", "1", "--save-relevance", rel], "--index 1 is out of range"),
            (["--input", npy2, "--save-relevance", rel], "attribute takes [C, H, W] or [N, C, H, W]"),
            (["--input", npy, "--crop", "20", "--save-relevance", rel], "--resize/--crop apply to PNG/JPEG images"),
            (["--input", png, "--index", "2", "--out", heat], "--index/--count select inputs"),
            (["--input", TestImages, "--mean", "0.1,0.2", "--save-relevance", rel], "--mean/--std need 1 values"),
            (["--input", TestImages, "--std", "0", "--save-relevance", rel], "every value must be finite and non-zero"),
            (["--input", png, "--resize", "-3", "--out", heat], "--resize must be ≥ 0"),
            (["--input", TestImages, "--count", "2", "--out", npy], "need a folder for their heatmaps"),
            (["--input", Path.Combine(_dir, "nope.npy"), "--out", heat], "nope.npy: no such file or folder"),
            (["--input", png, "--save-relevance", Path.Combine(_dir, "no", "r.npy")], "does not exist"),
        ];
        foreach ((string[] args, string expected) in cases)
        {
            (int code, string error) = await AttributeCommandTests.Invoke(["attribute", "fashion-small-resnet", .. args]);
            Assert.True(code == ExitCodes.UsageError, $"{string.Join(' ', args)}: exit {code}, {error}");
            Assert.Contains(expected, error);
            Assert.Contains("hint:", error);
            Assert.Single(error.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        }
        Assert.False(File.Exists(rel));
        Assert.False(File.Exists(heat));
    }
}
