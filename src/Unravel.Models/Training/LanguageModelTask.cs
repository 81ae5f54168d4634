// Causal language modelling on a token stream: example i is the window tokens[i·T, i·T + T + 1), whose first T
// tokens are the input and last T the targets (non-overlapping windows, as nanoGPT's eval). The loss is the mean
// next-token cross-entropy over the batch; evaluation uses the same windows over a held-out stream.

using Unravel.Models.Text;

namespace Unravel.Models.Training;

/// <summary>Trains an <see cref="ILanguageModel"/> on next-token prediction.</summary>
public sealed class LanguageModelTask : ITrainingTask
{
    private readonly ILanguageModel _lm;
    private readonly int[] _train, _eval;

    /// <param name="model">A root module that is an <see cref="ILanguageModel"/>.</param>
    /// <param name="trainTokens">The training stream.</param>
    /// <param name="evalTokens">The held-out stream.</param>
    /// <param name="sequence">T, at most the model's context.</param>
    /// <exception cref="ArgumentException">The model is not a language model, T is out of range, or a stream is shorter than one window.</exception>
    public LanguageModelTask(RootModule model, int[] trainTokens, int[] evalTokens, int sequence)
    {
        _lm = model as ILanguageModel ?? throw new ArgumentException($"lm task: {model.GetType().Name} is not a language model.", nameof(model));
        if (sequence < 1 || sequence > _lm.Context)
            throw new ArgumentException($"lm task: sequence {sequence} is outside [1, {_lm.Context}].", nameof(sequence));
        if (trainTokens.Length < sequence + 1 || evalTokens.Length < sequence + 1)
            throw new ArgumentException($"lm task: streams of {trainTokens.Length} and {evalTokens.Length} tokens are shorter than one window of {sequence + 1}.");
        Model = model;
        Sequence = sequence;
        _train = trainTokens;
        _eval = evalTokens;
    }

    public RootModule Model { get; }

    /// <summary>T.</summary>
    public int Sequence { get; }

    public int ExampleCount => (_train.Length - 1) / Sequence;

    /// <summary>Windows in the held-out stream.</summary>
    public int EvalWindowCount => (_eval.Length - 1) / Sequence;

    public int ItemsPerExample => Sequence;

    public string ItemName => "tokens";

    /// <inheritdoc/>
    public BatchLoss Loss(ReadOnlySpan<int> examples, TrainingRandom rng)
    {
        (int[] x, int[] y) = Windows(_train, examples);
        Tensor logits = _lm.Forward(x, examples.Length, Sequence);     // [B, T, V]
        return new BatchLoss(Ops.CrossEntropy(logits, y), ImageClassificationTask.CountCorrect(logits, y), y.Length);
    }

    /// <inheritdoc/>
    /// <remarks>Perplexity = exp of the mean NLL over every target of the first <paramref name="limit"/> windows.</remarks>
    public EvaluationResult Evaluate(int? limit = null)
    {
        int n = Math.Min(limit ?? EvalWindowCount, EvalWindowCount);
        bool training = Model.Training;
        Model.Eval();
        double loss = 0;
        int correct = 0, count = 0;
        try
        {
            for (int start = 0; start < n; start += 8)
            {
                int b = Math.Min(8, n - start);
                int[] idx = Enumerable.Range(start, b).ToArray();
                (int[] x, int[] y) = Windows(_eval, idx);
                Tensor logits = _lm.Forward(x, b, Sequence);            // [B, T, V]
                loss += (double)Ops.CrossEntropy(logits, y).Data[0] * y.Length;
                correct += ImageClassificationTask.CountCorrect(logits, y);
                count += y.Length;
            }
        }
        finally
        {
            Model.Train(training);
        }
        return new EvaluationResult(count == 0 ? double.NaN : loss / count, count == 0 ? double.NaN : (double)correct / count, count);
    }

    /// <summary>The targets that <see cref="Evaluate"/> scores: tokens 1 … T of each of the first <paramref name="limit"/>
    /// held-out windows (for baselines scored on exactly the same tokens).</summary>
    public int[] EvalTargets(int? limit = null)
    {
        int n = Math.Min(limit ?? EvalWindowCount, EvalWindowCount);
        return Windows(_eval, Enumerable.Range(0, n).ToArray()).Y;
    }

    private (int[] X, int[] Y) Windows(int[] stream, ReadOnlySpan<int> examples)
    {
        int t = Sequence;
        var x = new int[examples.Length * t];
        var y = new int[examples.Length * t];
        for (int i = 0; i < examples.Length; i++)
        {
            stream.AsSpan(examples[i] * t, t).CopyTo(x.AsSpan(i * t, t));
            stream.AsSpan(examples[i] * t + 1, t).CopyTo(y.AsSpan(i * t, t));
        }
        return (x, y);
    }
}
