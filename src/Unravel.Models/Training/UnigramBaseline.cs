// The unigram baseline a language model must beat: token frequencies of the training stream with add-one (Laplace)
// smoothing over the whole vocabulary, p(v) = (count(v) + 1) / (N + V), scored on held-out targets.
// Reference: Jurafsky & Martin, Speech and Language Processing (3rd ed.), §3.5 Laplace smoothing.

namespace Unravel.Models.Training;

/// <summary>Perplexity of an add-one smoothed unigram model.</summary>
public static class UnigramBaseline
{
    /// <summary>exp(-mean log p(t)) over <paramref name="targets"/>, with p fitted on <paramref name="train"/>.</summary>
    /// <exception cref="ArgumentException">A token id is outside [0, <paramref name="vocab"/>).</exception>
    public static double Perplexity(ReadOnlySpan<int> train, ReadOnlySpan<int> targets, int vocab)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocab);
        var counts = new long[vocab];
        foreach (int t in train)
        {
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"unigram: token {t} is outside [0, {vocab}).", nameof(train));
            counts[t]++;
        }
        double logDenominator = Math.Log(train.Length + (double)vocab), nll = 0;
        foreach (int t in targets)
        {
            if ((uint)t >= (uint)vocab) throw new ArgumentException($"unigram: token {t} is outside [0, {vocab}).", nameof(targets));
            nll += logDenominator - Math.Log(counts[t] + 1.0);
        }
        return Math.Exp(nll / Math.Max(1, targets.Length));
    }
}
