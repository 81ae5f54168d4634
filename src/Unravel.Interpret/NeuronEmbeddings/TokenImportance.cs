// Token importance for a neuron's example (A. Foote 2024, "Tackling Polysemanticity with Neuron Embeddings",
// arXiv 2411.08166, §4.1.1; the saliency of N2G, Foote et al. 2023, "Neuron to Graph", arXiv 2305.19911, §3):
// replace one token at a time (the key token and up to Back − 1 before it) by a padding token, re-run, and take the
// drop of the neuron's activation at the key token. All variants of all requests are run in batches.

using Unravel.Models;
using Unravel.Models.Text;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.NeuronEmbeddings;

/// <summary>Occlusion importance of context tokens for an MLP neuron.</summary>
public static class TokenImportance
{
    /// <summary>Computes the importance of each request's tokens for its neuron in MLP layer <paramref name="layer"/>.</summary>
    /// <exception cref="ArgumentException">The model is not a language model with transformer MLPs, the windows differ in
    /// length, or a position, neuron or option is out of range.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static IReadOnlyList<TokenImportanceResult> Compute(RootModule model, int layer, IReadOnlyList<TokenImportanceRequest> requests,
        TokenImportanceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(options);
        if (model is not ILanguageModel lm || model is not ITransformerMlpModel mlpModel)
            throw new ArgumentException($"importance: {model.GetType().Name} is not a language model with transformer MLP layers.", nameof(model));
        if ((uint)layer >= (uint)mlpModel.MlpLayerCount)
            throw new ArgumentException($"importance: layer {layer} is outside 0 … {mlpModel.MlpLayerCount - 1}.", nameof(layer));
        if (options.Back < 1 || options.BatchSize < 1 || (uint)options.Replacement >= (uint)lm.VocabSize)
            throw new ArgumentException($"importance: invalid options {options} (Back ≥ 1, BatchSize ≥ 1, Replacement a token id).", nameof(options));
        if (requests.Count == 0) return [];
        TransformerMlp mlp = mlpModel.MlpLayer(layer);
        int t = requests[0].Tokens.Length, f = mlp.Neurons;
        foreach (TokenImportanceRequest r in requests)
        {
            if (r.Tokens.Length != t)
                throw new ArgumentException($"importance: windows of {r.Tokens.Length} and {t} tokens; batch equal lengths.", nameof(requests));
            if ((uint)r.Position >= (uint)t || (uint)r.Neuron >= (uint)f)
                throw new ArgumentException($"importance: position {r.Position} or neuron {r.Neuron} is outside the window ({t}) or layer ({f}).", nameof(requests));
        }
        // Run list: (request, replaced position or −1 for the original).
        var runs = new List<(int Request, int Replaced)>();
        for (int i = 0; i < requests.Count; i++)
        {
            runs.Add((i, -1));
            for (int p = Math.Max(0, requests[i].Position - options.Back + 1); p <= requests[i].Position; p++) runs.Add((i, p));
        }
        var activation = new float[runs.Count];
        model.Eval();
        for (int start = 0; start < runs.Count; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int b = Math.Min(options.BatchSize, runs.Count - start);
            var tokens = new int[b * t];
            for (int k = 0; k < b; k++)
            {
                (int req, int replaced) = runs[start + k];
                requests[req].Tokens.CopyTo(tokens, k * t);
                if (replaced >= 0) tokens[k * t + replaced] = options.Replacement;
            }
            Tensor act = model.RunWithCache(() => mlpModel.ForwardThroughLayer(tokens, b, t, layer), mlp.ActivationHook)[mlp.ActivationHook];   // [b, T, F]
            ReadOnlySpan<float> a = act.Data;
            for (int k = 0; k < b; k++)
            {
                TokenImportanceRequest r = requests[runs[start + k].Request];
                activation[start + k] = a[(k * t + r.Position) * f + r.Neuron];
            }
        }
        var results = new TokenImportanceResult[requests.Count];
        float original = 0;
        float[]? importance = null;
        for (int k = 0; k < runs.Count; k++)
        {
            (int req, int replaced) = runs[k];
            if (replaced < 0)
            {
                original = activation[k];
                importance = new float[t];
                results[req] = new TokenImportanceResult(original, importance);
            }
            else importance![replaced] = original - activation[k];
        }
        return results;
    }
}
