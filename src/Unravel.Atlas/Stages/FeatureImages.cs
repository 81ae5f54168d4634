// Feature visualisation (Olah, Mordvintsev, Schubert 2017, "Feature Visualization", Distill) as the stages and
// `unravel visualize` run it: the image size and channels follow the model's input, and the result becomes an 8-bit
// image. One place, so that the image a stage stores is the one `unravel visualize` writes for the same seed and steps.

using System.Diagnostics;
using Unravel.Atlas.Methods;
using Unravel.Interpret.FeatureVisualization;
using Unravel.IO.Images;
using Unravel.Models.Vision;
using Unravel.Nn;

namespace Unravel.Atlas.Stages;

/// <summary>Runs feature visualisation for the stages and the command.</summary>
public static class FeatureImages
{
    /// <summary>Adam steps when none are given (the command's default).</summary>
    public const int DefaultSteps = 256;

    /// <summary>Options for <paramref name="model"/>'s input size.</summary>
    /// <exception cref="AnalysisException">The model does not take images.</exception>
    public static FeatureVisualizationOptions Options(RootModule model, int seed, int steps)
    {
        if (model is not IImageClassifier classifier)
            throw new AnalysisException($"feature visualisation needs an image model; {model?.GetType().Name} is not one.");
        (int channels, int height, _) = classifier.InputSize;
        return new FeatureVisualizationOptions { Size = height, Channels = channels, Seed = seed, Steps = steps };
    }

    /// <summary>Optimises one image and describes it for the index (stored as <paramref name="file"/>).</summary>
    public static (FeatureImage Meta, Image Png) Render(RootModule model, string name, FeatureObjective objective, string file, int seed, int steps,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(objective);
        var clock = Stopwatch.StartNew();
        FeatureVisualizationResult result = FeatureVisualizer.Run(model, objective, Options(model, seed, steps), null, cancellationToken);
        var meta = new FeatureImage(name, objective.HookName, objective.Channel, objective.Channel is null ? "direction" : "channel", file, seed, steps,
            result.FinalObjective, clock.Elapsed.TotalSeconds);
        return (meta, ToImage(result.Image));
    }

    /// <summary>[C, S, S] in [0, 1] as an 8-bit image.</summary>
    public static Image ToImage(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        int c = t.Dim(0), h = t.Dim(1), w = t.Dim(2), hw = h * w;
        Image image = Image.Create(w, h, c);
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < hw; i++)
                image.Pixels[i * c + ch] = (byte)MathF.Round(255f * Math.Clamp(t.Data[ch * hw + i], 0f, 1f));
        return image;
    }
}
