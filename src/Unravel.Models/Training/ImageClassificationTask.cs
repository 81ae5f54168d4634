// Image classification: batches of (augmented) images [N, C, H, W] through a classifier, mean cross-entropy against
// class labels; evaluation is top-1 accuracy on a test set without augmentation, in eval mode (BN running stats).

using Unravel.Models.Vision;

namespace Unravel.Models.Training;

/// <summary>Trains an <see cref="IImageClassifier"/> on labelled images.</summary>
public sealed class ImageClassificationTask : ITrainingTask
{
    private readonly Tensor _trainImages, _testImages;
    private readonly int[] _trainLabels, _testLabels;
    private readonly IImageClassifier _classifier;

    /// <param name="model">A root module that is an <see cref="IImageClassifier"/>.</param>
    /// <param name="trainImages">[N, C, H, W].</param>
    /// <param name="trainLabels">[N], in [0, classes).</param>
    /// <param name="testImages">[M, C, H, W].</param>
    /// <param name="testLabels">[M].</param>
    /// <param name="augmentation">Applied to training images only.</param>
    /// <exception cref="ArgumentException">The model is not a classifier, or images and labels disagree.</exception>
    public ImageClassificationTask(RootModule model, Tensor trainImages, int[] trainLabels, Tensor testImages, int[] testLabels,
        ImageAugmentation? augmentation = null)
    {
        _classifier = model as IImageClassifier
            ?? throw new ArgumentException($"image task: {model.GetType().Name} is not an image classifier.", nameof(model));
        Check(trainImages, trainLabels, "train");
        Check(testImages, testLabels, "test");
        Model = model;
        _trainImages = trainImages;
        _trainLabels = trainLabels;
        _testImages = testImages;
        _testLabels = testLabels;
        Augmentation = augmentation ?? new ImageAugmentation();
    }

    public RootModule Model { get; }

    public ImageAugmentation Augmentation { get; }

    public int ExampleCount => _trainLabels.Length;

    public int ItemsPerExample => 1;

    public string ItemName => "images";

    /// <inheritdoc/>
    public BatchLoss Loss(ReadOnlySpan<int> examples, TrainingRandom rng)
    {
        int c = _trainImages.Dim(1), h = _trainImages.Dim(2), w = _trainImages.Dim(3), size = c * h * w;
        Tensor x = Tensor.Zeros(examples.Length, c, h, w);   // [N, C, H, W]
        var targets = new int[examples.Length];
        for (int i = 0; i < examples.Length; i++)
        {
            int e = examples[i];
            Augmentation.Apply(_trainImages.Data.Slice(e * size, size), x.Data.Slice(i * size, size), c, h, w, rng);
            targets[i] = _trainLabels[e];
        }
        Tensor logits = _classifier.Forward(x);                // [N, K]
        return new BatchLoss(Ops.CrossEntropy(logits, targets), CountCorrect(logits, targets), examples.Length);
    }

    /// <inheritdoc/>
    public EvaluationResult Evaluate(int? limit = null) => Evaluate(_testImages, _testLabels, limit);

    /// <summary>Top-1 accuracy and mean loss of the model on <paramref name="images"/> in eval mode, 250 at a time.</summary>
    public EvaluationResult Evaluate(Tensor images, int[] labels, int? limit = null)
    {
        Check(images, labels, "eval");
        int n = Math.Min(limit ?? labels.Length, labels.Length), size = images.Data.Length / Math.Max(1, labels.Length);
        bool training = Model.Training;
        Model.Eval();
        double loss = 0;
        int correct = 0;
        try
        {
            for (int start = 0; start < n; start += 250)
            {
                int count = Math.Min(250, n - start);
                Tensor x = Tensor.FromArray(images.Data.Slice(start * size, count * size).ToArray(),
                    [count, images.Dim(1), images.Dim(2), images.Dim(3)]);                 // [n, C, H, W]
                int[] targets = labels.AsSpan(start, count).ToArray();
                Tensor logits = _classifier.Forward(x);                                      // [n, K]
                loss += (double)Ops.CrossEntropy(logits, targets).Data[0] * count;
                correct += CountCorrect(logits, targets);
            }
        }
        finally
        {
            Model.Train(training);
        }
        return new EvaluationResult(n == 0 ? double.NaN : loss / n, n == 0 ? double.NaN : (double)correct / n, n);
    }

    internal static int CountCorrect(Tensor logits, int[] targets)
    {
        int classes = logits.Dim(-1), correct = 0;
        ReadOnlySpan<float> data = logits.Data;
        for (int r = 0; r < targets.Length; r++)
        {
            ReadOnlySpan<float> row = data.Slice(r * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (row[k] > row[best]) best = k;
            if (best == targets[r]) correct++;
        }
        return correct;
    }

    private static void Check(Tensor images, int[] labels, string what)
    {
        if (images.Rank != 4 || images.Dim(0) != labels.Length)
            throw new ArgumentException($"image task: {what} images {images.ShapeString} and {labels.Length} labels do not match.", nameof(images));
    }
}
