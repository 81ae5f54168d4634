// A judge embedding made of a model's pooled activation at one hook (e.g. "avgpool": the penultimate features before
// fc). The default judge of `unravel pure --evaluate` is a second model's; the analysed model's own is a fallback.

using Unravel.Interpret.Collection;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Pure;

/// <summary>Embeds inputs as the mean over positions of a model's activation at <c>hook</c> ([N, C, …] → [C]).</summary>
/// <param name="model">Judge model (eval mode).</param>
/// <param name="data">The dataset (the judge must accept its inputs).</param>
/// <param name="hook">Hook name, e.g. "avgpool".</param>
/// <param name="name">Name for tables.</param>
/// <param name="independent">Whether the judge model differs from the analysed one.</param>
/// <param name="batch">Inputs per forward.</param>
public sealed class ModelFeatureJudge(RootModule model, ICollectionDataset data, string hook, string name, bool independent, int batch = 64)
    : IJudgeEmbedding
{
    private readonly Dictionary<long, float[]> _cache = [];

    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public bool Independent { get; } = independent;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The hook does not exist or did not fire.</exception>
    public float[][] Embed(IReadOnlyList<long> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        long[] missing = inputs.Where(i => !_cache.ContainsKey(i)).Distinct().ToArray();
        for (int start = 0; start < missing.Length; start += batch)
        {
            long[] idx = missing[start..Math.Min(missing.Length, start + batch)];
            ActivationCache cache = model.RunWithCache(() => data.Forward(model, idx), hook);
            if (!cache.TryGet(hook, out Tensor? a) || a is null || a.Rank < 2)
                throw new AnalysisException($"pure: judge hook '{hook}' did not fire or has no channel axis.");
            int c = a.Dim(1), positions = a.Length / (idx.Length * c);
            for (int b = 0; b < idx.Length; b++)
            {
                var v = new float[c];
                for (int ch = 0; ch < c; ch++)
                {
                    double s = 0;
                    foreach (float t in a.Data.Slice((b * c + ch) * positions, positions)) s += t;
                    v[ch] = (float)(s / positions);
                }
                _cache[idx[b]] = v;
            }
        }
        return inputs.Select(i => _cache[i]).ToArray();
    }
}
