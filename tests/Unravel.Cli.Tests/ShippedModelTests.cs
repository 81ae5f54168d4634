// The shipped model cards: PURE's default judge is the second model a card names, loaded from the shipped assets,
// and a model whose card names none gets no judge (the evaluation then falls back to the model itself, with a warning).

using System.Text.Json;

namespace Unravel.Cli.Tests;

public sealed class ShippedModelTests
{
    [Fact]
    public void JudgeFor_FashionWeights_IsTheJudgeNamedInItsCardWithAnotherArchitecture()
    {
        string weights = Assets.PathOf("models", "fashion-small-resnet", "model.safetensors");
        using JsonDocument card = JsonDocument.Parse(File.ReadAllText(Assets.PathOf("models", "fashion-small-resnet", "model.json")));
        string named = card.RootElement.GetProperty("judge").GetString()!;

        ShippedModel? judge = ShippedModel.JudgeFor(weights);

        Assert.NotNull(judge);
        Assert.Equal(named, judge.Name);
        Assert.NotEqual(card.RootElement.GetProperty("architecture").GetString(), judge.Architecture);
        Assert.True(File.Exists(judge.WeightsPath), judge.WeightsPath);
    }

    [Fact]
    public void JudgeFor_ModelWithoutJudge_IsNull()
    {
        Assert.Null(ShippedModel.JudgeFor(Assets.PathOf("models", "brown-gpt2", "model.safetensors")));
        Assert.Null(ShippedModel.JudgeFor(Path.Combine(Path.GetTempPath(), "not-shipped.safetensors")));
    }
}
