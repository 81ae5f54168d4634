// A small real atlas for the Atlas tests: a seeded small-resnet (random weights) collected over 32 synthetic images
// at layer3, with pooled vectors, written by AtlasWriter into a temporary folder.

using Unravel.Interpret.Collection;
using Unravel.Models;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Atlas.Tests;

internal static class TinyAtlas
{
    /// <summary>Writes the atlas under <paramref name="dir"/> and returns its path.</summary>
    public static string Write(string dir)
    {
        RootModule model = ModelRegistry.Get("small-resnet").Create(WeightSource.Initialize(7));
        model.Eval();
        var rng = new Random(11);
        var data = new ImageDataset(Tensor.RandomNormal(rng, 32, 1, 28, 28), [.. Enumerable.Range(0, 32).Select(i => i % 4)], "synthetic normal images");
        var options = new CollectionOptions { TopK = 12, ClassTopK = 4, KeepPooled = true, Seed = 1 };
        CollectionResult result = Collector.Run(model, data, ["layer3"], options, batchSize: 16);
        var provenance = new AtlasProvenance("0.1.0", "small-resnet", "small-resnet (random weights, seed 7)", null, "synthetic", data.Description,
            data.ContentSha256, "test");
        string path = Path.Combine(dir, "atlas");
        AtlasWriter.Write(path, result, options, provenance);
        return path;
    }
}
