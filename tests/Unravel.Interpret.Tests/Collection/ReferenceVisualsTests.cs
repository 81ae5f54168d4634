// Reference visuals: display images undo the normalisation, crops are the receptive-field windows of the stored argmax
// positions (checked pixel by pixel against the raw images), per-token activations equal a direct forward pass and
// their max over tokens is the top-k value at the top-k position.

using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Interpret.Collection;
using Unravel.IO.Images;
using Unravel.Models.Text;
using Unravel.Atlas;

namespace Unravel.Interpret.Tests.Collection;

public sealed class ReferenceVisualsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-visuals-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Images in [0, 1] with pixel (n, y, x) = ((n·7 + y·28 + x) mod 256) / 255, stored normalised.</summary>
    private static (ImageDataset Data, float[] Raw) Normalised(int n, float mean, float std)
    {
        var raw = new float[n * 28 * 28];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < 784; p++) raw[i * 784 + p] = (i * 7 + p) % 256 / 255f;
        Tensor stored = Tensor.FromArray(raw.Select(v => (v - mean) / std).ToArray(), n, 1, 28, 28);
        return (new ImageDataset(stored, null, "ramp", [mean], [std]), raw);
    }

    [Fact]
    public void Display_NormalisedImage_GivesTheOriginalBytes()
    {
        (ImageDataset data, float[] raw) = Normalised(3, 0.2860f, 0.3530f);
        Image image = data.Display(2);
        Assert.Equal((28, 28, 1), (image.Width, image.Height, image.Channels));
        for (int p = 0; p < 784; p++) Assert.Equal((byte)Math.Round(raw[2 * 784 + p] * 255), image.Pixels[p]);
    }

    [Fact]
    public void Crop_Layer2Reference_IsTheReceptiveFieldWindow()
    {
        (ImageDataset data, float[] raw) = Normalised(4, 0.5f, 0.25f);
        ReceptiveField rf = ReceptiveField.Of(CollectorTests.SmallResNet(), "layer2", 28, 28);
        // Position 14·3 + 5 (row 3, col 5) of the 14×14 map: rows [−6 + 6, +13) = [0, 13), cols [−6 + 10, +13) = [4, 17).
        Image crop = ReferenceVisuals.Crop(data, 1, rf, 3 * 14 + 5);
        Assert.Equal((13, 13), (crop.Width, crop.Height));
        for (int y = 0; y < 13; y++)
            for (int x = 0; x < 13; x++)
                Assert.Equal((byte)Math.Round(raw[784 + y * 28 + 4 + x] * 255), crop[x, y, 0]);
    }

    [Fact]
    public void AtlasWriter_WithCrops_WritesOnePngPerReference()
    {
        RootModule model = CollectorTests.SmallResNet();
        ImageDataset data = CollectorTests.Synthetic();
        var options = CollectorTests.Options with { ClassTopK = 0 };
        CollectionResult result = Collector.Run(model, data, ["layer3"], options, batchSize: 25, limit: 50);
        string atlas = Path.Combine(_dir, "atlas");
        AtlasWriter.Write(atlas, result, options, new AtlasProvenance("test", "small-resnet", "random", null, "synthetic", "synthetic", "0", "test"),
            references: new ReferenceSource(model, data, Crops: true));
        AtlasReader reader = AtlasReader.Open(atlas);
        Assert.Equal(25, reader.Manifest["layers"]![0]!["receptive_field"]!["size"]![0]!.GetValue<int>());
        TopInputs top = reader.TopInputs("layer3", 5);
        ReceptiveField rf = ReceptiveField.Of(model, "layer3", 28, 28);
        for (int r = 0; r < top.Inputs.Length; r++)
        {
            Image png = Png.Read(Path.Combine(atlas, "layers", "layer3", ReferenceVisuals.CropFile(5, r)));
            (int y0, int x0, int h, int w) = rf.Region(top.Positions[r]);
            Image full = data.Display(top.Inputs[r]);
            Assert.Equal((w, h), (png.Width, png.Height));
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) Assert.Equal(full[x0 + x, y0 + y, 0], png[x, y, 0]);
        }
        Assert.Equal(10 * 128, Directory.GetFiles(Path.Combine(atlas, "layers", "layer3", "crops")).Length);
    }

    [Fact]
    public void TokenActivations_MatchForwardPass_AndPeakAtTheTopKPosition()
    {
        var model = new Gpt2(WeightSource.Initialize(3), new Gpt2Config(50, 16, 2, 2, 8));
        var rng = new Random(4);
        int windows = 19, length = 6;
        var data = new TokenWindowDataset(Enumerable.Range(0, windows * length).Select(_ => rng.Next(50)).ToArray(), length, "random tokens");
        var options = new CollectionOptions { TopK = 4, RandomSamples = 2, Quantiles = 0, KeepPooled = false };
        const string layer = "h.1.mlp.hook_post";
        TopKArrays top = Collector.Run(model, data, [layer], options, batchSize: 7).Layers.Single().TopByMax;
        float[] acts = ReferenceVisuals.TokenActivations(model, data, layer, top, batchSize: 3);   // [K, C, T]
        int c = top.Neurons;
        for (int k = 0; k < top.K; k++)
            for (int n = 0; n < c; n += 5)
            {
                long input = top.Indices[k * c + n];
                Tensor direct = model.RunWithCache(() => data.Forward(model, [input]), layer)[layer];   // [1, T, C]
                float[] row = acts.AsSpan((k * c + n) * length, length).ToArray();
                for (int t = 0; t < length; t++) Assert.Equal(direct.Data[t * c + n], row[t], 5);
                Assert.Equal(top.Values[k * c + n], row.Max(), 5);
                Assert.Equal(top.Positions[k * c + n], Array.IndexOf(row, row.Max()));
            }
    }
}
