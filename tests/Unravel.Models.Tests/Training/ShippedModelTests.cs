// The shipped default models (assets/models/*) reproduce the metrics recorded in their model cards, on the shipped
// data (assets/data/*): the Fashion-MNIST model on a fixed subset of the test set, the Brown language model on a fixed
// slice of the held-out files. The cards name the subsets (test_first{N}_accuracy, heldout_first{N}_windows_perplexity).

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

    [Fact]
    public void FashionModel_OnShippedTestSubset_ReproducesRecordedAccuracy()
    {
        (JsonElement card, RootModule model) = Load("fashion-small-resnet");
        (int n, double recorded) = SubsetMetric(card, "test_first", "_accuracy");
        (Tensor images, int[] labels) = FashionMnist.Load(Assets("data", "fashion-mnist"), "t10k");
        Assert.Equal(10000, labels.Length);
        var task = new ImageClassificationTask(model, images, labels, images, labels);
        EvaluationResult r = task.Evaluate(n);
        Assert.Equal(n, r.Count);
        Assert.True(Math.Abs(r.Accuracy - recorded) <= 0.001, $"accuracy on test images 0..{n - 1}: {r.Accuracy:P2}, card records {recorded:P2}");
    }

    [Fact]
    public void BrownModel_OnShippedHeldOutSlice_ReproducesRecordedPerplexity()
    {
        (JsonElement card, RootModule model) = Load("brown-gpt2");
        (int windows, double recorded) = SubsetMetric(card, "heldout_first", "_windows_perplexity");
        int seq = card.GetProperty("config").GetProperty("sequence").GetInt32();
        string[] heldOut = card.GetProperty("data").GetProperty("heldout_files").EnumerateArray().Select(e => e.GetString()!).ToArray();
        string folder = Assets("data", "brown", "heldout");
        Assert.Equal(heldOut.Order(StringComparer.Ordinal), BrownCorpus.ListFiles(folder).Select(f => Path.GetFileName(f)));
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.Load(Assets("gpt2-tokenizer", "encoder.json"), Assets("gpt2-tokenizer", "vocab.bpe"));
        int[] tokens = BrownDataset.Tokenize(heldOut.Select(f => Path.Combine(folder, f)), tokenizer);
        Assert.Equal(card.GetProperty("data").GetProperty("heldout_tokens").GetInt32(), tokens.Length);
        var task = new LanguageModelTask(model, tokens, tokens, seq);
        EvaluationResult r = task.Evaluate(windows);
        Assert.Equal(windows * seq, r.Count);
        Assert.True(Math.Abs(r.Perplexity - recorded) <= 1e-3 * recorded,
            $"perplexity on held-out windows 0..{windows - 1}: {r.Perplexity:F3}, card records {recorded:F3}");
    }
}
