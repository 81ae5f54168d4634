// The shipped default models (assets/models/*) reproduce the metrics recorded in their model cards, on the shipped
// data (assets/data/*): the Fashion-MNIST models on the whole 10,000-image test set and on the subset the card names
// (test_first{N}_accuracy), the Brown language model on all held-out windows and on the card's slice. The cards also
// record the held-out protocol: a validation split carved from the training data (its rule and the SHA-256 of its
// indices, recomputed here), selection on it only, and the SHA-256 of the weights file.

using System.Text.Json;
using Unravel.IO.Text;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Models.Training;

namespace Unravel.Models.Tests.Training;

[Trait("Requires", "Weights")]
public sealed class ShippedModelTests
{
    private static string Assets(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "assets");
            if (Directory.Exists(Path.Combine(candidate, "models"))) return Path.Combine([candidate, .. parts]);
        }
        throw new DirectoryNotFoundException("assets/models not found above the test binaries");
    }

    private static (JsonElement Card, RootModule Model) Load(string name)
    {
        string folder = Assets("models", name);
        JsonElement card = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "model.json"))).RootElement;
        RootModule model = ModelLoader.Load(Path.Combine(folder, card.GetProperty("weights").GetString()!), card.GetProperty("architecture").GetString()!);
        model.Eval();
        return (card, model);
    }

    private static (int Count, double Value) SubsetMetric(JsonElement card, string prefix, string suffix)
    {
        JsonProperty p = card.GetProperty("metrics").EnumerateObject()
            .Single(m => m.Name.StartsWith(prefix, StringComparison.Ordinal) && m.Name.EndsWith(suffix, StringComparison.Ordinal));
        return (int.Parse(p.Name[prefix.Length..^suffix.Length], System.Globalization.CultureInfo.InvariantCulture), p.Value.GetDouble());
    }

    [Theory]
    [InlineData("fashion-small-resnet")]
    [InlineData("fashion-judge-cnn")]
    public void FashionModel_OnTheWholeTestSet_ReproducesRecordedAccuracy(string name)
    {
        (JsonElement card, RootModule model) = Load(name);
        (int n, double recordedSubset) = SubsetMetric(card, "test_first", "_accuracy");
        (Tensor images, int[] labels) = FashionMnist.Load(Assets("data", "fashion-mnist"), "t10k");
        Assert.Equal(10000, labels.Length);
        var task = new ImageClassificationTask(model, images, labels, images, labels);
        EvaluationResult full = task.Evaluate(), subset = task.Evaluate(n);
        Assert.Equal(10000, full.Count);
        JsonElement metrics = card.GetProperty("metrics");
        // The card rounds to 4 places; the accuracy of 10,000 images has exactly 4.
        Assert.Equal(metrics.GetProperty("test_accuracy").GetDouble(), Math.Round(full.Accuracy, 4));
        Assert.Equal(metrics.GetProperty("test_loss").GetDouble(), Math.Round(full.Loss, 4), 3);
        Assert.Equal(recordedSubset, Math.Round(subset.Accuracy, 4));
    }

    [Theory]
    [InlineData("fashion-small-resnet")]
    [InlineData("fashion-judge-cnn")]
    [InlineData("brown-gpt2")]
    public void ShippedCard_RecordsTheHeldOutProtocolAndTheWeightsHash(string name)
    {
        string folder = Assets("models", name);
        JsonElement card = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "model.json"))).RootElement;
        string weights = Path.Combine(folder, card.GetProperty("weights").GetString()!);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(weights))),
            card.GetProperty("weights_sha256").GetString());
        Assert.False(card.TryGetProperty("init", out _), "one run from a seeded initialisation, no stages picked on test data");
        JsonElement selection = card.GetProperty("selection");
        JsonElement[] evaluations = [.. selection.GetProperty("evaluations").EnumerateArray()];
        long selected = selection.GetProperty("selected_step").GetInt64();
        Assert.Contains(selected, evaluations.Select(e => e.GetProperty("step").GetInt64()));
        JsonElement data = card.GetProperty("data");
        if (name.StartsWith("fashion", StringComparison.Ordinal))
        {
            JsonElement v = data.GetProperty("validation");
            var split = ValidationSplit.Carve(60000, v.GetProperty("images").GetInt32(), v.GetProperty("split_seed").GetInt32());
            Assert.Equal(split.ValidationSha256(), v.GetProperty("indices_sha256").GetString());
            // Every evaluation during training was on the whole validation split, and the kept one is the best.
            Assert.All(evaluations, e => Assert.Equal(split.Validation.Length, e.GetProperty("count").GetInt32()));
            double best = evaluations.Max(e => e.GetProperty("accuracy").GetDouble());
            Assert.Equal(evaluations.First(e => e.GetProperty("accuracy").GetDouble() == best).GetProperty("step").GetInt64(), selected);
        }
        else
        {
            string[] held = [.. data.GetProperty("heldout_files").EnumerateArray().Select(e => e.GetString()!)];
            string[] validation = [.. data.GetProperty("validation_files").EnumerateArray().Select(e => e.GetString()!)];
            Assert.Empty(held.Intersect(validation));
            Assert.Equal(held.Length, validation.Length);
            int validationTokens = data.GetProperty("validation_tokens").GetInt32();
            Assert.All(evaluations, e => Assert.True(e.GetProperty("count").GetInt32() > validationTokens * 0.99 - 1 && e.GetProperty("count").GetInt32() <= validationTokens,
                "every evaluation used all validation windows"));
            double best = evaluations.Min(e => e.GetProperty("loss").GetDouble());
            Assert.Equal(evaluations.First(e => e.GetProperty("loss").GetDouble() == best).GetProperty("step").GetInt64(), selected);
        }
    }

    [Fact]
    public void BrownModel_OnAllHeldOutWindows_ReproducesRecordedPerplexity()
    {
        (JsonElement card, RootModule model) = Load("brown-gpt2");
        (int windows, double recordedSlice) = SubsetMetric(card, "heldout_first", "_windows_perplexity");
        int seq = card.GetProperty("config").GetProperty("sequence").GetInt32();
        string[] heldOut = card.GetProperty("data").GetProperty("heldout_files").EnumerateArray().Select(e => e.GetString()!).ToArray();
        string folder = Assets("data", "brown", "heldout");
        Assert.Equal(heldOut.Order(StringComparer.Ordinal), BrownCorpus.ListFiles(folder).Select(f => Path.GetFileName(f)));
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.Load(Assets("gpt2-tokenizer", "encoder.json"), Assets("gpt2-tokenizer", "vocab.bpe"));
        int[] tokens = BrownDataset.Tokenize(heldOut.Select(f => Path.Combine(folder, f)), tokenizer);
        Assert.Equal(card.GetProperty("data").GetProperty("heldout_tokens").GetInt32(), tokens.Length);
        var task = new LanguageModelTask(model, tokens, tokens, seq);
        EvaluationResult full = task.Evaluate(), slice = task.Evaluate(windows);
        Assert.Equal(task.EvalWindowCount * seq, full.Count);
        Assert.Equal(windows * seq, slice.Count);
        double recorded = card.GetProperty("metrics").GetProperty("heldout_perplexity").GetDouble();
        Assert.True(Math.Abs(full.Perplexity - recorded) <= 1e-3 * recorded,
            $"perplexity on all {task.EvalWindowCount} held-out windows: {full.Perplexity:F3}, card records {recorded:F3}");
        Assert.True(Math.Abs(slice.Perplexity - recordedSlice) <= 1e-3 * recordedSlice,
            $"perplexity on held-out windows 0..{windows - 1}: {slice.Perplexity:F3}, card records {recordedSlice:F3}");
    }
}
