// `unravel run` over a folder or an IDX file: a PNG folder of Fashion-MNIST test images (class subfolders, torchvision
// ImageFolder order) gives the accuracy the library's own evaluation (ImageClassificationTask.Evaluate) computes on the
// same images, the whole test set gives the shipped model card's accuracy, and every new option refuses bad input.

using System.CommandLine;
using System.Text.Json;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.Models.Training;
using Unravel.Models.Vision;
using Unravel.Tensors;

namespace Unravel.Cli.Tests;

public sealed class RunBatchTests
{
    private static string TestImages => Assets.PathOf("data", "fashion-mnist", "t10k-images-idx3-ubyte.gz");

    private static string TestLabels => Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz");

    private static async Task<(int Code, string Error)> Invoke(params string[] args)
    {
        RootCommand root = new() { RunCommand.Create() };
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    /// <summary>Writes images [N, 1, 28, 28] in [0, 1] as 8-bit gray PNGs FOLDER/&lt;label&gt;/&lt;index&gt;.png.</summary>
    private static string WritePngFolder(Tensor images, int[] labels)
    {
        string dir = Directory.CreateTempSubdirectory("unravel-run-pngs-").FullName;
        int hw = images.Dim(2) * images.Dim(3);
        for (int i = 0; i < labels.Length; i++)
        {
            Image img = Image.Create(images.Dim(3), images.Dim(2), 1);
            for (int p = 0; p < hw; p++) img.Pixels[p] = (byte)MathF.Round(images.Data[i * hw + p] * 255f);
            string sub = Path.Combine(dir, labels[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(sub);
            Png.Write(Path.Combine(sub, $"{i:00000}.png"), img);
        }
        return dir;
    }

    private static (JsonElement[] Rows, JsonElement Summary) RunJson(RunCommand.Request request)
    {
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, RunCommand.Run(request, output, TextWriter.Null));
        JsonElement[] lines = [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        return (lines[..^1], lines[^1].GetProperty("summary"));
    }

    [Fact]
    public void RunBatch_PngFolderOfFashionTestSubset_GivesTheLibraryEvaluationsAccuracy()
    {
        const int n = 300;
        Tensor images = Idx.ReadImages(TestImages, n);                                                  // [n, 1, 28, 28]
        int[] labels = Idx.ReadLabels(TestLabels, n);
        string dir = WritePngFolder(images, labels);
        try
        {
            (JsonElement[] rows, JsonElement summary) = RunJson(new RunCommand.Request("fashion-small-resnet", dir, Json: true) { Batch = 64 });
            var model = ModelReference.Load("fashion-small-resnet", null).Model;
            EvaluationResult reference = new ImageClassificationTask(model, images, labels, images, labels).Evaluate();
            Assert.Equal(n, rows.Length);
            Assert.Equal(reference.Accuracy, summary.GetProperty("accuracy").GetDouble());

            // Top-5 and the confusion matrix from one plain forward of the IDX tensor (no PNG round trip).
            model.Eval();
            Tensor logits = ((IImageClassifier)model).Forward(images);                                    // [n, 10]
            int top5 = 0;
            var confusion = new long[10, 10];
            for (int i = 0; i < n; i++)
            {
                float[] row = logits.Data.Slice(i * 10, 10).ToArray();
                int[] order = [.. Enumerable.Range(0, 10).OrderByDescending(c => row[c]).ThenBy(c => c)];
                if (order[..5].Contains(labels[i])) top5++;
                confusion[labels[i], order[0]]++;
            }
            Assert.Equal(top5, summary.GetProperty("top5_correct").GetInt32());
            JsonElement[] matrix = [.. summary.GetProperty("confusion").EnumerateArray()];
            for (int t = 0; t < 10; t++)
                for (int p = 0; p < 10; p++)
                    Assert.Equal(confusion[t, p], matrix[t][p].GetInt64());

            // ImageFolder order: class folder "0" first, files sorted inside it; every row names its PNG and label.
            int[] expectedOrder = [.. Enumerable.Range(0, n).OrderBy(i => labels[i]).ThenBy(i => i)];
            for (int r = 0; r < n; r++)
            {
                Assert.Equal(Path.Combine(labels[expectedOrder[r]].ToString(System.Globalization.CultureInfo.InvariantCulture), $"{expectedOrder[r]:00000}.png"),
                    rows[r].GetProperty("input").GetString());
                Assert.Equal(labels[expectedOrder[r]], rows[r].GetProperty("label").GetInt32());
            }

            // The IDX file with its sibling labels file gives the same numbers.
            (_, JsonElement idx) = RunJson(new RunCommand.Request("fashion-small-resnet", TestImages, Json: true) { Limit = n });
            Assert.Equal(reference.Accuracy, idx.GetProperty("accuracy").GetDouble());
            Assert.Equal(top5, idx.GetProperty("top5_correct").GetInt32());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [FashionDatasetFact]
    public void RunBatch_WholeFashionTestSetAsPngFolder_GivesTheModelCardsAccuracy()
    {
        Tensor images = Idx.ReadImages(Path.Combine(FashionDatasetFactAttribute.Folder, "t10k-images-idx3-ubyte.gz"));
        int[] labels = Idx.ReadLabels(Path.Combine(FashionDatasetFactAttribute.Folder, "t10k-labels-idx1-ubyte.gz"));
        Assert.Equal(10_000, labels.Length);
        string dir = WritePngFolder(images, labels);
        try
        {
            (_, JsonElement summary) = RunJson(new RunCommand.Request("fashion-small-resnet", dir, Json: true) { Batch = 250 });
            using JsonDocument card = JsonDocument.Parse(File.ReadAllText(Assets.PathOf("models", "fashion-small-resnet", "model.json")));
            double expected = card.RootElement.GetProperty("metrics").GetProperty("test_accuracy").GetDouble();   // rounded to 4 places
            Assert.Equal(10_000, summary.GetProperty("count").GetInt32());
            Assert.Equal(expected, Math.Round(summary.GetProperty("accuracy").GetDouble(), 4));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void RunBatch_FlatFolderWithoutLabels_PrintsTopKPerImage()
    {
        Tensor images = Idx.ReadImages(TestImages, 3);
        string dir = WritePngFolder(images, [0, 0, 0]);
        try
        {
            string flat = Path.Combine(dir, "0");
            var output = new StringWriter();
            Assert.Equal(ExitCodes.Success, RunCommand.Run(new RunCommand.Request("fashion-small-resnet", flat, Top: 2), output, TextWriter.Null));
            string text = output.ToString();
            Assert.Contains("3 images, no labels", text);
            Assert.Contains("00000.png", text);
            Assert.Contains("Ankle boot", text);                      // test image 0 is an ankle boot, and the model knows it
            Assert.DoesNotContain("accuracy", text);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void RunBatch_FolderOfTextFiles_GivesEachPromptsSingleRunPrediction()
    {
        string dir = Directory.CreateTempSubdirectory("unravel-run-texts-").FullName;
        try
        {
            // Two prompts of one token length (batched together) and one of another length.
            string[] prompts = ["The jury said it", "The court said it", "In the morning the grand jury"];
            for (int i = 0; i < prompts.Length; i++) File.WriteAllText(Path.Combine(dir, $"p{i}.txt"), prompts[i]);
            File.WriteAllText(Path.Combine(dir, "notes.md"), "ignored: not a .txt file");
            (JsonElement[] rows, JsonElement summary) = RunJson(new RunCommand.Request("brown-gpt2", dir, Top: 3, Json: true));
            Assert.Equal(3, summary.GetProperty("count").GetInt32());
            for (int i = 0; i < prompts.Length; i++)
            {
                Assert.Equal($"p{i}.txt", rows[i].GetProperty("input").GetString());
                var single = new StringWriter();
                Assert.Equal(ExitCodes.Success, RunCommand.Run("brown-gpt2", Path.Combine(dir, $"p{i}.txt"), null, 3, true, single));
                using JsonDocument one = JsonDocument.Parse(single.ToString());
                JsonElement[] expected = [.. one.RootElement.GetProperty("predictions").EnumerateArray()];
                JsonElement[] actual = [.. rows[i].GetProperty("predictions").EnumerateArray()];
                Assert.Equal(expected.Select(e => e.GetProperty("id").GetInt32()), actual.Select(e => e.GetProperty("id").GetInt32()));
                for (int k = 0; k < 3; k++)
                    Assert.Equal(expected[k].GetProperty("probability").GetSingle(), actual[k].GetProperty("probability").GetSingle(), 5);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task RunBatch_BadOptions_ExitWithUsageErrorNamingTheOption()
    {
        string empty = Directory.CreateTempSubdirectory("unravel-run-empty-").FullName;
        string png = Path.Combine(empty, "..", $"one-{Guid.NewGuid():N}.png");
        Png.Write(png, Image.Create(28, 28, 1));
        string badLabels = Path.Combine(empty, "t10k-labels-idx1-ubyte");
        File.WriteAllBytes(badLabels, [.. IdxFiles.Header(0x0801, 2), 1, 2]);
        try
        {
            (string[] Args, string Expected)[] cases =
            [
                (["--input", TestImages, "--batch", "0"], "--batch must be at least 1"),
                (["--input", TestImages, "--limit", "0"], "--limit must be at least 1"),
                (["--input", empty], "no .png/.jpg/.jpeg images"),
                (["--input", empty, "--labels", TestLabels], "labels go with an IDX images --input"),
                (["--input", TestImages, "--labels", Path.Combine(empty, "nope")], "nope: no such file"),
                (["--input", TestImages, "--labels", badLabels], "2 labels for"),
                (["--input", TestImages, "--resize", "32"], "do not apply to IDX images"),
                (["--input", png, "--limit", "3"], "--limit applies to a folder or IDX file"),
                (["--input", png, "--resize", "-1"], "--resize must be ≥ 0"),
                (["--input", png, "--crop", "-1"], "--crop must be ≥ 0"),
                (["--input", png, "--mean", "x"], "--mean x: 'x' is not a number"),
                (["--input", png, "--std", "0"], "--std 0: every value must be finite and non-zero"),
                (["--input", png, "--mean", "0.5,0.5"], "--mean/--std need 1 values"),
            ];
            foreach ((string[] args, string expected) in cases)
            {
                (int code, string error) = await Invoke(["run", "fashion-small-resnet", .. args]);
                Assert.True(code == ExitCodes.UsageError, $"{string.Join(' ', args)}: exit {code}, {error}");
                Assert.Contains(expected, error);
                Assert.Contains("hint:", error);
                Assert.Single(error.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
            File.Delete(png);
        }
    }
}
