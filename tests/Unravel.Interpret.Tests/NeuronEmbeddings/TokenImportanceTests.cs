// Token importance (Foote 2024 §4.1.1; N2G saliency): the batched computation against a direct one-at-a-time run of
// the model with one token replaced.

using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Models.Text;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.NeuronEmbeddings;

public sealed class TokenImportanceTests
{
    [Fact]
    public void Compute_Batched_EqualsOneAtATime()
    {
        Gpt2 model = NeuronEmbedderTests.Model();
        var data = NeuronEmbedderTests.Data();
        const int layer = 1, back = 5, replacement = 39;
        var requests = new List<TokenImportanceRequest>
        {
            new(data.Window(0).ToArray(), 9, 3),
            new(data.Window(1).ToArray(), 2, 17),     // fewer than Back tokens before the key
            new(data.Window(2).ToArray(), 11, 60),
        };
        IReadOnlyList<TokenImportanceResult> results = TokenImportance.Compute(model, layer, requests,
            new TokenImportanceOptions { Back = back, Replacement = replacement, BatchSize = 4 });
        string hook = model.MlpLayer(layer).ActivationHook;
        float Direct(int[] tokens, int position, int neuron) =>
            model.RunWithCache(() => model.Forward(tokens, 1, tokens.Length), hook)[hook][0, position, neuron];
        for (int i = 0; i < requests.Count; i++)
        {
            TokenImportanceRequest r = requests[i];
            float original = Direct(r.Tokens, r.Position, r.Neuron);
            Assert.Equal(original, results[i].Activation, 1e-5f);
            for (int p = 0; p < r.Tokens.Length; p++)
            {
                float expected = 0;
                if (p <= r.Position && p > r.Position - back)
                {
                    int[] changed = (int[])r.Tokens.Clone();
                    changed[p] = replacement;
                    expected = original - Direct(changed, r.Position, r.Neuron);
                }
                Assert.True(Math.Abs(expected - results[i].Importance[p]) <= 1e-5f,
                    $"request {i} position {p}: importance {results[i].Importance[p]} vs direct {expected}");
            }
            Assert.Contains(results[i].Importance, v => v != 0);
        }
    }

    [Fact]
    public void Compute_ReplacementOutsideVocabulary_Throws() =>
        Assert.Throws<ArgumentException>(() => TokenImportance.Compute(NeuronEmbedderTests.Model(), 0,
            [new TokenImportanceRequest([1, 2, 3], 2, 0)], new TokenImportanceOptions()));
}
