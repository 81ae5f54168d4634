// A [Fact] that needs Debian's Fashion-MNIST (dataset-fashion-mnist, which .ci/run installs): skipped with the reason
// where /usr/share/datasets/fashion-mnist is absent.

namespace Unravel.Cli.Tests;

[AttributeUsage(AttributeTargets.Method)]
public sealed class FashionDatasetFactAttribute : FactAttribute
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";

    public FashionDatasetFactAttribute()
    {
        if (!File.Exists(Path.Combine(Folder, "t10k-images-idx3-ubyte.gz")))
            Skip = $"{Folder} is absent (apt-get install dataset-fashion-mnist)";
    }
}
