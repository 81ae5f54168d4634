// AtlasReader: what it returns equals the collection that was written (top-k per neuron with unfilled slots dropped,
// pooled vectors, layers, dataset spec), and bad layers/neurons fail with messages naming them.

using Unravel.Interpret.Collection;
using Unravel.Atlas;

namespace Unravel.Interpret.Tests.Collection;

public sealed class AtlasReaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "unravel-atlas-reader-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Open_WrittenAtlas_ReturnsTheCollectedReferences()
    {
        CollectionResult result = Collector.Run(CollectorTests.SmallResNet(), CollectorTests.Synthetic(), ["layer1", "fc"], CollectorTests.Options, batchSize: 16, limit: 40);
        var provenance = new AtlasProvenance("0.1.0", "small-resnet", "random", null, "synthetic", "synthetic", "abc", "test",
            new DatasetSpec("idx", "/data/images.idx", "/data/labels.idx"));
        string path = Path.Combine(_dir, "atlas");
        AtlasWriter.Write(path, result, CollectorTests.Options, provenance);

        AtlasReader atlas = AtlasReader.Open(path);
        Assert.Equal(["layer1", "fc"], atlas.Layers.Select(l => l.Name));
        Assert.Equal(new DatasetSpec("idx", "/data/images.idx", "/data/labels.idx"), atlas.Dataset);
        Assert.Equal(40, atlas.Inputs);
        LayerStatisticsResult r = result.Layers[0];
        int c = r.Neurons;
        for (int n = 0; n < c; n += 3)
        {
            TopInputs top = atlas.TopInputs("layer1", n);
            var expected = Enumerable.Range(0, r.TopByMax.K).Where(k => r.TopByMax.Indices[k * c + n] >= 0).ToArray();
            Assert.Equal(expected.Select(k => r.TopByMax.Indices[k * c + n]), top.Inputs);
            Assert.Equal(expected.Select(k => r.TopByMax.Values[k * c + n]), top.Values);
            Assert.Equal(expected.Select(k => r.TopByMax.Positions[k * c + n]), top.Positions);
            Assert.True(top.Values.Zip(top.Values.Skip(1)).All(p => p.First >= p.Second), "best first");
        }
        (Unravel.Tensors.Tensor pooled, long[] inputs) = atlas.Pooled("layer1");
        Assert.Equal(r.PooledMean!, pooled.ToArray());
        Assert.Equal(r.PooledIndices!, inputs);

        LayerNotCollectedException unknown = Assert.Throws<LayerNotCollectedException>(() => atlas.Layer("layer9"));
        Assert.Contains("layer9", unknown.Message);
        Assert.Contains("layer1, fc", unknown.Message);
        ArgumentOutOfRangeException outside = Assert.Throws<ArgumentOutOfRangeException>(() => atlas.TopInputs("fc", 10_000));
        Assert.Contains("10000", outside.Message);
    }

    [Fact]
    public void Open_NotAnAtlas_FailsNamingTheFile()
    {
        Directory.CreateDirectory(_dir);
        Assert.Contains(_dir, Assert.Throws<AtlasFormatException>(() => AtlasReader.Open(_dir)).Message);
        File.WriteAllText(Path.Combine(_dir, "manifest.json"), "{\"format\": \"other\"}");
        Assert.Contains("manifest.json", Assert.Throws<AtlasFormatException>(() => AtlasReader.Open(_dir)).Message);
    }

    [Fact]
    public void ForwardIndices_AnyOrder_EqualsTheRowsOfAContiguousForward()
    {
        ImageDataset data = (ImageDataset)CollectorTests.Synthetic();
        Unravel.Nn.RootModule model = CollectorTests.SmallResNet();
        float[] all = data.Forward(model, 0, 8).ToArray();
        float[] picked = data.Forward(model, [5L, 0L, 7L]).ToArray();
        int per = all.Length / 8;
        int[] order = [5, 0, 7];
        for (int i = 0; i < order.Length; i++)
            for (int j = 0; j < per; j++)
                Assert.Equal(all[order[i] * per + j], picked[i * per + j], 1e-5f);            // batch size changes only the GEMM's summation order
        float[] images = data.Gather([7L, 5L]).ToArray(), contiguous = data.Gather([5L, 6L, 7L]).ToArray();
        int pixels = images.Length / 2;
        Assert.Equal(contiguous.AsSpan(2 * pixels, pixels).ToArray(), images.AsSpan(0, pixels).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Gather([data.Count]));
    }
}
