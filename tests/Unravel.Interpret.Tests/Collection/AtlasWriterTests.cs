// Atlas round trip: write a collection, read the .npy arrays, atlas.db rows and manifest.json back, compare.

using Unravel.Nn;
using Unravel.Tensors;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Unravel.Interpret.Collection;
using Unravel.IO;
using Unravel.Atlas;

namespace Unravel.Interpret.Tests.Collection;

public sealed class AtlasWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "unravel-atlas-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly AtlasProvenance Provenance = new("0.1.0", "small-resnet", "small-resnet (random weights, seed 7)", null,
        "synthetic", "synthetic normal images", "abc", "unravel collect test");

    private static CollectionResult Collect() =>
        Collector.Run(CollectorTests.SmallResNet(), CollectorTests.Synthetic(), ["layer1", "fc"], CollectorTests.Options, batchSize: 16, limit: 48);

    [Fact]
    public void Write_ThenRead_ValuesEqual()
    {
        CollectionResult result = Collect();
        string atlas = Path.Combine(_dir, "atlas");
        AtlasWriter.Write(atlas, result, CollectorTests.Options, Provenance);

        Assert.DoesNotContain(Directory.GetDirectories(_dir), d => Path.GetFileName(d).StartsWith('.'));
        foreach (LayerStatisticsResult r in result.Layers)
        {
            string dir = Path.Combine(atlas, "layers", r.Name);
            (long[] idx, int[] shape) = Npy.ReadInt64(Path.Combine(dir, "top_max_indices.npy"));
            Assert.Equal([r.TopByMax.K, r.Neurons], shape);
            Assert.Equal(r.TopByMax.Indices, idx);
            Assert.Equal(r.TopByMax.Values, Npy.Read(Path.Combine(dir, "top_max_values.npy")).ToArray());
            Assert.Equal(r.TopByMean.Positions, Npy.ReadInt32(Path.Combine(dir, "top_mean_positions.npy")).Data);
            Assert.Equal(r.Max, Npy.Read(Path.Combine(dir, "max.npy")).ToArray());
            Assert.Equal(r.Histogram, Npy.ReadInt64(Path.Combine(dir, "histogram.npy")).Data);
            Assert.Equal(r.PooledMax!, Npy.Read(Path.Combine(dir, "pooled_max.npy")).ToArray());
            Assert.Equal(r.QuantileIndices, Npy.ReadInt64(Path.Combine(dir, "quantile_indices.npy")).Data);
            int label = r.TopByClass.Keys.First();
            Assert.Equal(r.TopByClass[label].ByMax.Indices, Npy.ReadInt64(Path.Combine(dir, $"class_{label}_top_max_indices.npy")).Data);
        }

        using var connection = new SqliteConnection($"Data Source={Path.Combine(atlas, "atlas.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand q = connection.CreateCommand();
        q.CommandText = "SELECT layer, idx, count, mean, std, min, max, frac_pos, nan_count, top1_max, top1_max_input FROM neurons ORDER BY layer, idx";
        using SqliteDataReader reader = q.ExecuteReader();
        int rows = 0;
        while (reader.Read())
        {
            LayerStatisticsResult r = result.Layers.Single(l => l.Name == reader.GetString(0));
            int i = reader.GetInt32(1);
            Assert.Equal(r.Count[i], reader.GetInt64(2));
            Assert.Equal(r.Mean[i], reader.GetDouble(3));
            Assert.Equal(r.Std[i], reader.GetDouble(4));
            Assert.Equal(r.Min[i], (float)reader.GetDouble(5));
            Assert.Equal(r.Max[i], (float)reader.GetDouble(6));
            Assert.Equal(r.FractionPositive[i], reader.GetDouble(7));
            Assert.Equal(r.NanCount[i], reader.GetInt64(8));
            Assert.Equal(r.TopByMax.Values[i], (float)reader.GetDouble(9));
            Assert.Equal(r.TopByMax.Indices[i], reader.GetInt64(10));
            rows++;
        }
        Assert.Equal(result.Layers.Sum(l => l.Neurons), rows);

        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(atlas, "manifest.json")));
        JsonElement root = manifest.RootElement;
        Assert.Equal("small-resnet", root.GetProperty("model").GetProperty("architecture").GetString());
        Assert.Equal(48, root.GetProperty("dataset").GetProperty("inputs").GetInt32());
        Assert.Equal(["layer1", "fc"], root.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal(1, root.GetProperty("seed").GetInt32());
        foreach (JsonElement f in root.GetProperty("files").EnumerateArray()) Assert.True(File.Exists(Path.Combine(atlas, f.GetString()!)), f.GetString());
    }

    [Fact]
    public void Write_TargetExists_ThrowsAndLeavesItUntouched()
    {
        string atlas = Path.Combine(_dir, "atlas");
        Directory.CreateDirectory(atlas);
        File.WriteAllText(Path.Combine(atlas, "keep.txt"), "x");
        CollectionResult result = Collector.Run(CollectorTests.SmallResNet(), CollectorTests.Synthetic(), ["fc"], CollectorTests.Options, 16, limit: 16);
        Assert.Throws<IOException>(() => AtlasWriter.Write(atlas, result, CollectorTests.Options, Provenance));
        Assert.True(File.Exists(Path.Combine(atlas, "keep.txt")));
        AtlasWriter.Write(atlas, result, CollectorTests.Options, Provenance, overwrite: true);
        Assert.False(File.Exists(Path.Combine(atlas, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(atlas, "atlas.db")));
        // Only the atlas and its writer's lock file, which stays (AtlasLock): no temporary or moved-aside folder.
        Assert.Equal([atlas], Directory.GetFileSystemEntries(_dir).Where(e => e != AtlasLock.LockPath(atlas)));
    }
}
