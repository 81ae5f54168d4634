// The commands on an imported .onnx model, through the real command line: `inspect` lists ONNX tensor names with the
// recovered PyTorch module paths (shapes checked against PyTorch's own activations saved with the fixture), and
// `collect` → `concepts` → `report` run from a fresh state on the reduced efficientnet_b0 export (torchvision's
// architecture, random weights, 3×32×32 input) over a folder of shipped Fashion-MNIST test images (gray PNGs, turned
// into RGB by the image-folder preprocessing). The atlas must record the .onnx file and its SHA-256 so later stages
// re-open it. Malformed or unsupported files end with exit code 2 and a message naming the offset or operator.

using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Cli.Tests;

public sealed class OnnxCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-onnx-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string model, string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", model, file);

    private static string EfficientNet => Fixture("efficientnet_b0", "model.onnx");

    private static async Task<(int Code, string Output, string Error)> Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        TextWriter saved = Console.Out;
        Console.SetOut(output);
        try
        {
            int code = await CliRunner.InvokeAsync(CliCommands.Create(), args, error);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(saved);
        }
    }

    /// <summary>The first <paramref name="n"/> Fashion-MNIST test images as PNGs in one folder per label.</summary>
    private string FashionFolder(int n)
    {
        string root = Path.Combine(_dir, "fashion");
        Tensor images = Idx.ReadImages(CliFixture.Images);                                  // [10000, 1, 28, 28] in [0, 1]
        int[] labels = Idx.ReadLabels(Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz"));
        for (int i = 0; i < n; i++)
        {
            Image image = Image.Create(28, 28, 1);
            for (int p = 0; p < 784; p++) image.Pixels[p] = (byte)MathF.Round(255f * images.Data[i * 784 + p]);
            string folder = Path.Combine(root, $"class{labels[i]}");
            Directory.CreateDirectory(folder);
            Png.Write(Path.Combine(folder, $"{i:D3}.png"), image);
        }
        return root;
    }

    [Fact]
    public async Task Inspect_Onnx_ListsTensorNamesModulePathsAndPyTorchShapes()
    {
        (int code, string output, string error) = await Cli("inspect", EfficientNet);
        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("opset 17", output);
        Assert.Contains("image classifier, 10 classes, input 3×32×32", output);
        string[] lines = output.Split('\n');
        // Each module the fixture saved from PyTorch appears on the row of its ONNX tensor, with PyTorch's shape (the batch aside).
        string[] modules = ["features.1", "features.3.0.block.1", "avgpool"];
        for (int i = 0; i < modules.Length; i++)
        {
            int[] shape = Npy.Read(Fixture("efficientnet_b0", $"act_{i}.npy")).Shape.ToArray();
            string row = Assert.Single(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(modules[i]));
            Assert.StartsWith("/", row.TrimStart());
            Assert.EndsWith(ShapeRules.Format(shape[1..])[1..], row.TrimEnd());
        }

        (code, output, error) = await Cli("inspect", EfficientNet, "--json");
        Assert.True(code == ExitCodes.Success, error);
        JsonObject json = JsonNode.Parse(output)!.AsObject();
        Assert.Equal("onnx", json["architecture"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(EfficientNet))), json["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task CollectConceptsReport_EfficientNetOnnx_FromFreshState()
    {
        string data = FashionFolder(24);
        string atlas = Path.Combine(_dir, "atlas");
        (int code, string output, string error) = await Cli("collect", EfficientNet, "--data", data, "--layers", "features.3.0.block.1,avgpool",
            "--out", atlas, "--k", "8", "--batch", "5", "--checkpoint-every", "-1");
        Assert.True(code == ExitCodes.Success, error + output);

        JsonObject manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(atlas, "manifest.json")))!.AsObject();
        Assert.Equal("onnx", manifest["model"]!["architecture"]!.GetValue<string>());
        Assert.Equal(Path.GetFullPath(EfficientNet), manifest["model"]!["source"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(EfficientNet))), manifest["model"]!["sha256"]!.GetValue<string>());
        Assert.Equal(24, manifest["dataset"]!["inputs"]!.GetValue<int>());

        // Neurons = PyTorch's channel count of that module (the fixture's saved activation).
        int channels = Npy.Read(Fixture("efficientnet_b0", "act_1.npy")).Dim(1);
        var session = AtlasSession.Open(atlas);
        Assert.Equal(channels, session.Layer("features.3.0.block.1").Neurons);
        Assert.IsType<Unravel.Models.Onnx.OnnxImageClassifier>(session.Model.Model);

        (code, output, error) = await Cli("concepts", atlas, "--layer", "avgpool", "--neurons", "0,1", "--top-k", "8", "--min-size", "2");
        Assert.True(code == ExitCodes.Success, error + output);

        string report = Path.Combine(_dir, "report");
        (code, output, error) = await Cli("report", atlas, "--out", report);
        Assert.True(code == ExitCodes.Success, error + output);
        string index = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("features.3.0.block.1", index);
        Assert.Contains("onnx", index);
    }

    [Fact]
    public async Task Run_Onnx_PrintsOneProbabilityPerClassSummingToOne()
    {
        string png = Path.Combine(FashionFolder(1), Directory.GetDirectories(Path.Combine(_dir, "fashion"))[0].Split(Path.DirectorySeparatorChar)[^1], "000.png");
        (int code, string output, string error) = await Cli("run", EfficientNet, "--input", png, "--json", "--top", "10");
        Assert.True(code == ExitCodes.Success, error);
        JsonArray predictions = JsonNode.Parse(output)!["predictions"]!.AsArray();
        Assert.Equal(10, predictions.Count);
        float sum = predictions.Sum(p => p!["probability"]!.GetValue<float>());
        Assert.InRange(sum, 0.999f, 1.001f);
    }

    [Fact]
    public async Task Collect_ViTOnnxWithClsPool_OneVectorPerImageEqualToTheClassToken()
    {
        string model = Fixture("vit_b_16", "model.onnx");
        string data = FashionFolder(6);
        string atlas = Path.Combine(_dir, "vit-atlas");
        // The export baked batch 2 into its reshapes: --batch 2.
        (int code, string output, string error) = await Cli("collect", model, "--data", data, "--layers", "encoder.layers.encoder_layer_1",
            "--pool", "cls", "--batch", "2", "--k", "3", "--out", atlas, "--checkpoint-every", "-1");
        Assert.True(code == ExitCodes.Success, error + output);
        var session = AtlasSession.Open(atlas);
        AtlasLayer layer = session.Layer("encoder.layers.encoder_layer_1");
        Assert.Equal(1, layer.Positions);
        // The reference: the graph's own block output for the first two images, class token taken by hand.
        RootModule onnx = session.Model.Model;
        ActivationCache cache = onnx.RunWithCache(() => session.Dataset.Forward(onnx, 0, 2), "encoder.layers.encoder_layer_1");
        Tensor tokens = cache["encoder.layers.encoder_layer_1"];                           // [2, T, D]
        int t = tokens.Dim(1), d = tokens.Dim(2);
        Assert.Equal(d, layer.Neurons);
        (Tensor vectors, _) = session.Atlas.Pooled(layer.Name, "max");                      // [6, D]
        for (int i = 0; i < 2; i++)
            for (int c = 0; c < d; c++)
                Assert.True(Math.Abs(tokens.Data[i * t * d + c] - vectors.Data[i * d + c]) < 1e-5f, $"image {i}, neuron {c}");
    }

    [Fact]
    public async Task Attribute_OnnxWithGradientComposite_WritesAHeatmapOfTheInputSize()
    {
        string png = Path.Combine(_dir, "boot.png");
        Tensor images = Idx.ReadImages(CliFixture.Images);                                  // [10000, 1, 28, 28]
        Image image = Image.Create(28, 28, 1);
        for (int p = 0; p < 784; p++) image.Pixels[p] = (byte)MathF.Round(255f * images.Data[p]);
        Png.Write(png, image);
        string heatmap = Path.Combine(_dir, "heatmap.png");
        (int code, string output, string error) = await Cli("attribute", EfficientNet, "--input", png, "--composite", "gradient", "--scale", "1",
            "--out", heatmap, "--json");
        Assert.True(code == ExitCodes.Success, error + output);
        Image written = Image.Load(heatmap);
        Assert.Equal((32, 32), (written.Width, written.Height));
        Assert.Equal("onnx", JsonNode.Parse(output)!["architecture"]!.GetValue<string>());
    }

    public static TheoryData<string, string> Mistakes => new()
    {
        { "inspect {truncated}", "truncated.onnx" },
        { "inspect {truncated}", "not a valid ONNX model" },
        { "collect {unsupported} --data {images} --layers features.1 --out {dir}/c", "'Sigmoix'" },
        { "collect {unsupported} --data {images} --layers features.1 --out {dir}/c", "opset 17" },
        { "run {efficientnet} --arch resnet18 --input {images}", "--arch resnet18 does not apply" },
        { "collect {efficientnet} --data {images} --layers /no/such/tensor --out {dir}/c", "'/no/such/tensor'" },
        { "collect {vit} --data {fashion} --layers encoder.ln --batch 5 --out {dir}/c", "exported for batch 2 only" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task Mistake_OnnxFile_ExitCode2_MessageNamesIt(string command, string expected)
    {
        string truncated = Path.Combine(_dir, "truncated.onnx");
        byte[] bytes = File.ReadAllBytes(EfficientNet);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        // Same-length rename of an operator type keeps the protobuf valid: an operator the importer does not know.
        string unsupported = Path.Combine(_dir, "unsupported.onnx");
        File.WriteAllBytes(unsupported, Replace(bytes, "Sigmoid"u8.ToArray(), "Sigmoix"u8.ToArray()));
        string fashion = command.Contains("{fashion}", StringComparison.Ordinal) ? FashionFolder(6) : "";
        string line = command.Replace("{fashion}", fashion).Replace("{truncated}", truncated).Replace("{unsupported}", unsupported).Replace("{efficientnet}", EfficientNet).Replace("{vit}", Fixture("vit_b_16", "model.onnx"))
            .Replace("{images}", CliFixture.Images).Replace("{dir}", _dir);

        (int code, _, string error) = await Cli(line.Split(' '));
        Assert.True(code == ExitCodes.UsageError, $"exit code {code} for `{line}`:\n{error}");
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
    }

    private static byte[] Replace(byte[] data, byte[] from, byte[] to)
    {
        byte[] copy = [.. data];
        int found = 0;
        for (int i = 0; i + from.Length <= copy.Length; i++)
            if (copy.AsSpan(i, from.Length).SequenceEqual(from)) { to.CopyTo(copy, i); found++; }
        Assert.True(found > 0, "the fixture has no Sigmoid node to rename");
        return copy;
    }
}
