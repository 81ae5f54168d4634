// `unravel collect --pool cls|mean` on a native ViT checkpoint: the reduced torchvision VisionTransformer of the model
// tests (random weights, 3×32×32, 8-pixel patches, width 32) saved by Unravel with its config in the safetensors
// metadata, collected over shipped Fashion-MNIST test images. Each pooled vector in the atlas must equal the class token
// (cls) or the token mean (mean) of the block's output computed directly by the model on the same preprocessed images;
// the atlas records the pooling and the config, and re-opens the model from them.

using System.Text.Json.Nodes;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.Interpret.Collection;
using Unravel.Models;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Cli.Tests;

public sealed class ViTCollectTests : IDisposable
{
    private const string Layer = "encoder.layers.encoder_layer_1";
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-vit-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ViT Reduced() =>
        (ViT)ModelLoader.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "vit", "model.safetensors"),
            new Architecture("vit_b_16", "vit", "reduced ViT", ws => new ViT(ws, new ViTConfig(32, 8, 2, 4, 32, 64, 10)), []));

    [Theory]
    [InlineData("cls")]
    [InlineData("mean")]
    public async Task Collect_ViTWithPool_PooledVectorsEqualTheModelsTokens(string pool)
    {
        ViT vit = Reduced();
        string weights = Path.Combine(_dir, "vit.safetensors");
        SafeTensors.Write(weights, vit.StateDict(), Atlas.ModelReference.Metadata("vit_b_16", vit));
        string data = Path.Combine(_dir, "fashion");
        Tensor images = Idx.ReadImages(CliFixture.Images);                                  // [10000, 1, 28, 28]
        const int n = 12;
        for (int i = 0; i < n; i++)
        {
            Image image = Image.Create(28, 28, 1);
            for (int p = 0; p < 784; p++) image.Pixels[p] = (byte)MathF.Round(255f * images.Data[i * 784 + p]);
            Directory.CreateDirectory(Path.Combine(data, "all"));
            Png.Write(Path.Combine(data, "all", $"{i:D3}.png"), image);
        }
        string atlas = Path.Combine(_dir, "atlas-" + pool);
        var error = new StringWriter();
        int code = CollectCommand.Run(new CollectCommand.Request(weights, data, Layer, atlas, K: 4, Batch: 5) { Pool = pool, CheckpointEvery = -1 },
            TextWriter.Null, error);
        Assert.True(code == ExitCodes.Success, error.ToString());

        // The reference: the model's own block output on the same images, preprocessed as collect does for a 3×32×32 model.
        var folder = ImageDataset.FromFolder(data, new ImagePreprocessing { ResizeTo = 32, CropTo = 32 });
        ActivationCache cache = vit.RunWithCache(() => folder.Forward(vit, 0, n), Layer);
        Tensor tokens = cache[Layer];                                                       // [n, T, D]
        int t = tokens.Dim(1), d = tokens.Dim(2);

        var session = AtlasSession.Open(atlas);
        Assert.Equal(pool, session.Atlas.Manifest["options"]!["token_pool"]!.GetValue<string>());
        Assert.Equal(d, session.Layer(Layer).Neurons);
        Assert.Equal(1, session.Layer(Layer).Positions);
        Assert.Equal(new ViTConfig(32, 8, 2, 4, 32, 64, 10), ((ViT)session.Model.Model).Config);
        (Tensor vectors, long[] inputs) = session.Atlas.Pooled(Layer, "mean");             // [n, D]
        Assert.Equal(Enumerable.Range(0, n).Select(i => (long)i), inputs);
        double maxDiff = 0;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
            {
                double expected = 0;
                if (pool == "cls") expected = tokens.Data[(i * t) * d + c];
                else for (int k = 0; k < t; k++) expected += tokens.Data[(i * t + k) * d + c] / (double)t;
                maxDiff = Math.Max(maxDiff, Math.Abs(expected - vectors.Data[i * d + c]));
            }
        Assert.True(maxDiff < 1e-5, $"max |pooled - model| = {maxDiff}");
    }
}
