// A small real atlas for the export tests: the shipped Fashion-MNIST model collected at layer2 and layer3 over 40 test
// images with labels (so per-class rankings exist), and concepts of layer2 neurons 0 and 3 (so method records exist).

namespace Unravel.Cli.Tests;

public sealed class ExportAtlasFixture : IDisposable
{
    public ExportAtlasFixture()
    {
        Dir = Directory.CreateTempSubdirectory("unravel-export-fixture-").FullName;
        Atlas = Path.Combine(Dir, "atlas");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("fashion-small-resnet", CliFixture.Images, "layer2,layer3", Atlas, K: 12,
            Batch: 20, Limit: 40, Labels: Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz")), TextWriter.Null, TextWriter.Null));
        Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(Atlas, "layer2", Neurons: "0,3", Cut: "rel:3", MinSize: 2, TopK: 12),
            TextWriter.Null, TextWriter.Null));
    }

    public string Dir { get; }

    public string Atlas { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
