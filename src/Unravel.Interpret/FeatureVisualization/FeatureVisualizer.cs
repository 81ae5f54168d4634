// Feature visualisation by activation maximisation (Olah, Mordvintsev, Schubert 2017, "Feature Visualization", Distill):
// gradient ascent with Adam on a decorrelated Fourier image parameterisation, each step through a random jitter / scale /
// rotation warp, of a channel's mean activation or a direction's mean positional cosine (FeatureObjective). The model's
// part of the gradient comes from the tape (backward from the hooked activation with the objective's gradient as seed);
// the parameterisation and the warp have hand-written adjoints. Deterministic for a seed and a thread count.

using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Interpret.FeatureVisualization;

/// <summary>Activation maximisation.</summary>
public static class FeatureVisualizer
{
    /// <summary>Optimises an image for <paramref name="objective"/>.</summary>
    /// <param name="model">An image model in eval mode; not modified.</param>
    /// <param name="objective">The hook point and channel or direction.</param>
    /// <param name="options">Size, steps, seed, …; defaults when null.</param>
    /// <param name="progress">Steps done.</param>
    /// <param name="cancellationToken">Checked every step.</param>
    /// <exception cref="UnravelException">Unknown hook, channel out of range, direction of the wrong length, bad options.</exception>
    public static FeatureVisualizationResult Run(RootModule model, FeatureObjective objective, FeatureVisualizationOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(objective);
        options ??= new FeatureVisualizationOptions();
        options.Validate();
        if ((objective.Channel is null) == (objective.Direction is null))
            throw new AnalysisException("feature visualisation: give exactly one of a channel and a direction.");
        var classifier = model as IImageClassifier
            ?? throw new AnalysisException($"feature visualisation: the model ({model.GetType().Name}) is not an image model.");
        if (!model.AllHookNames.Contains(objective.HookName))
            throw new HookNotFoundException(objective.HookName, [.. model.AllHookNames], "feature visualisation");

        var rng = new Random(options.Seed);
        int c = options.Channels, s = options.Size;
        var param = new FourierImage(c, s, options.Fourier, rng);
        var adamRe = new Adam(param.Re.Length, options.LearningRate);
        var adamIm = new Adam(param.Im.Length, options.LearningRate);
        double jitter = options.Jitter ?? Math.Max(1, s / 16.0);
        var trace = new double[options.Steps];
        for (int step = 0; step < options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[] linear = param.Linear();
            float[] image = param.Image(linear);
            RandomWarp warp = options.Transforms ? new RandomWarp(s, jitter, options.ScaleRange, options.RotationDegrees, rng) : new RandomWarp(s);
            float[] seen = warp.Apply(image, c);
            (double value, float[] gSeen) = ObjectiveAndGradient(model, classifier, objective, options, seen);
            trace[step] = value;
            float[] gImage = warp.Adjoint(gSeen, c);
            (float[] gRe, float[] gIm) = param.LinearAdjoint(param.ImageAdjoint(image, gImage));
            adamRe.Ascend(param.Re, gRe);
            adamIm.Ascend(param.Im, gIm);
            progress?.Report(step + 1);
        }
        float[] final = param.Image(param.Linear());
        (double finalValue, _) = ObjectiveAndGradient(model, classifier, objective, options, final);
        return new FeatureVisualizationResult(Tensor.FromArray(final, c, s, s), trace, finalValue);
    }

    /// <summary>The objective at <paramref name="image"/> [C, S, S] in [0, 1] and its gradient with respect to it.</summary>
    private static (double, float[]) ObjectiveAndGradient(RootModule model, IImageClassifier classifier, FeatureObjective objective,
        FeatureVisualizationOptions options, float[] image)
    {
        int c = options.Channels, s = options.Size, hw = s * s;
        var input = new float[image.Length];
        for (int ch = 0; ch < c; ch++)
        {
            float mean = options.Mean?[ch] ?? 0f, std = options.Std?[ch] ?? 1f;
            for (int p = 0; p < hw; p++) input[ch * hw + p] = (image[ch * hw + p] - mean) / std;
        }
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.FromArray(input, 1, c, s, s));
        Tensor? a = null;
        using (model.Hooks.Add(objective.HookName, (_, t) => { a ??= t; }))
            classifier.Forward(x);
        if (a is null) throw new InvalidOperationException($"feature visualisation: hook '{objective.HookName}' did not fire.");
        (double value, Tensor seed) = Objective(objective, a);
        Tensor gx = tape.Backward(a, seed)[x] ?? Tensor.Zeros(1, c, s, s);
        var g = new float[image.Length];
        for (int ch = 0; ch < c; ch++)
        {
            float std = options.Std?[ch] ?? 1f;
            for (int p = 0; p < hw; p++) g[ch * hw + p] = gx.Data[ch * hw + p] / std;
        }
        return (value, g);
    }

    /// <summary>J and dJ/dA for an activation A [1, C, ...] (positions flattened).</summary>
    private static (double, Tensor) Objective(FeatureObjective objective, Tensor a)
    {
        int channels = a.Dim(1), positions = a.Length / channels;
        ReadOnlySpan<float> ad = a.Data;
        var seed = Tensor.Zeros(a.Shape.ToArray());
        if (objective.Channel is int ch)
        {
            if ((uint)ch >= (uint)channels)
                throw new AnalysisException($"feature visualisation: channel {ch} is out of range for '{objective.HookName}' ({channels} channels).");
            double sum = 0;
            for (int p = 0; p < positions; p++) sum += ad[ch * positions + p];
            seed.Data.Slice(ch * positions, positions).Fill(1f / positions);
            return (sum / positions, seed);
        }
        float[] v = objective.Direction!;
        if (v.Length != channels)
            throw new AnalysisException($"feature visualisation: the direction has {v.Length} entries, '{objective.HookName}' has {channels} channels.");
        double vn = Math.Sqrt(v.Sum(t => (double)t * t));
        if (vn == 0) throw new AnalysisException("feature visualisation: the direction is zero.");
        double total = 0;
        for (int p = 0; p < positions; p++)
        {
            double dot = 0, an = 0;
            for (int k = 0; k < channels; k++)
            {
                double av = ad[k * positions + p];
                dot += av * v[k];
                an += av * av;
            }
            an = Math.Sqrt(an) + 1e-8;
            double cos = dot / (an * vn);
            total += cos;
            // ∂cos/∂a = v/(|a||v|) − cos·a/|a|².
            for (int k = 0; k < channels; k++)
                seed.Data[k * positions + p] = (float)((v[k] / (an * vn) - cos * ad[k * positions + p] / (an * an)) / positions);
        }
        return (total / positions, seed);
    }

    /// <summary>Adam (Kingma and Ba 2015) for gradient ascent.</summary>
    private sealed class Adam(int length, double lr)
    {
        private readonly double[] _m = new double[length], _v = new double[length];
        private int _t;

        public void Ascend(float[] p, float[] g)
        {
            _t++;
            double c1 = 1 - Math.Pow(0.9, _t), c2 = 1 - Math.Pow(0.999, _t);
            for (int i = 0; i < p.Length; i++)
            {
                _m[i] = 0.9 * _m[i] + 0.1 * g[i];
                _v[i] = 0.999 * _v[i] + 0.001 * g[i] * g[i];
                p[i] += (float)(lr * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + 1e-8));
            }
        }
    }
}
