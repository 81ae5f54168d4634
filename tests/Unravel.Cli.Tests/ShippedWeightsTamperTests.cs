// A shipped model's card can record its weights' SHA-256 ("weights_sha256") and loading checks it: a copy of each shipped
// model folder whose card records the hash (the card's own value where it has one, else the shipped file's) runs, and
// after one byte of the copied weights is changed `unravel run` exits 2 with one message naming the weights file.

using System.Text.Json.Nodes;
using Unravel.IO.Images;

namespace Unravel.Cli.Tests;

public sealed class ShippedWeightsTamperTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-tamper-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("fashion-small-resnet")]
    [InlineData("fashion-judge-cnn")]
    [InlineData("brown-gpt2")]
    public async Task TamperedCopyOfShippedModel_ExitsTwoNamingTheWeights(string name)
    {
        string folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        JsonObject card = JsonNode.Parse(File.ReadAllText(Assets.PathOf("models", name, "model.json")))!.AsObject();
        string shipped = Assets.PathOf("models", name, card["weights"]!.GetValue<string>());
        string weights = Path.Combine(folder, card["weights"]!.GetValue<string>());
        File.Copy(shipped, weights);
        card["weights_sha256"] ??= ModelReference.Sha256Of(shipped);
        File.WriteAllText(Path.Combine(folder, "model.json"), card.ToJsonString());
        string input = Input(name.StartsWith("brown", StringComparison.Ordinal));

        (int code, string error) = await QuietCli.InvokeAsync(["run", folder, "--input", input]);
        Assert.True(code == ExitCodes.Success, $"the untampered copy (and the shipped card's hash) should load: {error}");

        byte[] bytes = File.ReadAllBytes(weights);
        bytes[^4] ^= 1;   // the lowest mantissa bit of the last float: a finite value, only the hash can tell
        File.WriteAllBytes(weights, bytes);
        (code, error) = await QuietCli.InvokeAsync(["run", folder, "--input", input]);
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == ExitCodes.UsageError, $"exit code {code}: {error}");
        Assert.StartsWith($"error: {weights}: the weights' SHA-256 ", lines[0]);
        Assert.Contains($"recorded in the model card of {card["name"]!.GetValue<string>()}", lines[0]);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("hint: ", lines[1]);
    }

    private string Input(bool text)
    {
        string path = Path.Combine(_dir, text ? "prompt.txt" : "image.png");
        if (text) File.WriteAllText(path, "The jury said it did find that");
        else
        {
            Image image = Image.Create(28, 28, 1);
            for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (byte)(i * 7);
            Png.Write(path, image);
        }
        return path;
    }
}
