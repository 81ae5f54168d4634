// Shared inputs of the user-mistake and breakage tests: a small real atlas of the shipped Fashion-MNIST model (40 test
// images, layers layer2 and layer3), copies of it with a newer format and a corrupt manifest, a PNG, a text file, a
// corrupt checkpoint, and a copy of the shipped weights without their model card or metadata.

using System.Text.Json.Nodes;
using Unravel.IO;
using Unravel.IO.Images;

namespace Unravel.Cli.Tests;

public sealed class CliFixture : IDisposable
{
    public CliFixture()
    {
        Dir = Directory.CreateTempSubdirectory("unravel-cli-fixture-").FullName;
        Atlas = Path.Combine(Dir, "atlas");
        int code = CollectCommand.Run(new CollectCommand.Request("fashion-small-resnet", Images, "layer2,layer3", Atlas, K: 12, Batch: 20, Limit: 40,
            Labels: Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz")), TextWriter.Null, TextWriter.Null);
        Assert.Equal(ExitCodes.Success, code);
        NewerAtlas = CopyAtlas("newer", m => m["format_version"] = AtlasFormat.Version + 1);
        BrokenAtlas = Path.Combine(Dir, "broken");
        Directory.CreateDirectory(BrokenAtlas);
        File.WriteAllText(Path.Combine(BrokenAtlas, "manifest.json"), "{ \"format\": ");
        Png = Path.Combine(Dir, "shirt.png");
        Image image = Image.Create(28, 28, 1);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (byte)(i * 7);
        Unravel.IO.Images.Png.Write(Png, image);
        Text = Path.Combine(Dir, "prompt.txt");
        File.WriteAllText(Text, string.Concat(Enumerable.Repeat("The jury said it did find that many of the laws were outmoded. ", 8)));
        CorruptCheckpoint = Path.Combine(Dir, "corrupt.safetensors");
        File.WriteAllBytes(CorruptCheckpoint, [0x10, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'"']);
        Uncarded = Path.Combine(Dir, "weights.safetensors");
        // The shipped tensors without the file's metadata (which names the architecture) and away from its card.
        using (SafeTensors shipped = SafeTensors.Read(Assets.PathOf("models", "fashion-small-resnet", "model.safetensors")))
            SafeTensors.Write(Uncarded, shipped.ReadAll());
    }

    public static string Images => Assets.PathOf("data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");

    public string Dir { get; }

    /// <summary>fashion-small-resnet collected at layer2 and layer3 over 40 test images.</summary>
    public string Atlas { get; }

    /// <summary>The atlas with a format_version one above this build's.</summary>
    public string NewerAtlas { get; }

    /// <summary>A folder whose manifest.json is not JSON.</summary>
    public string BrokenAtlas { get; }

    public string Png { get; }

    public string Text { get; }

    public string CorruptCheckpoint { get; }

    /// <summary>The shipped Fashion weights copied away from their card (no architecture anywhere).</summary>
    public string Uncarded { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    private string CopyAtlas(string name, Action<JsonObject> change)
    {
        string target = Path.Combine(Dir, name);
        foreach (string file in Directory.EnumerateFiles(Atlas, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(Atlas, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        string manifest = Path.Combine(target, "manifest.json");
        JsonObject m = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        change(m);
        File.WriteAllText(manifest, m.ToJsonString());
        return target;
    }
}
