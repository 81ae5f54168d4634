// The common surface of image classifiers (ResNet, VGG, the small CNNs): images in, class scores out, plus what a
// caller needs to prepare inputs (channels and nominal size) and to label outputs.

namespace Unravel.Models.Vision;

/// <summary>A model that maps a batch of images [N, C, H, W] to class logits [N, Classes].</summary>
public interface IImageClassifier
{
    /// <summary>Logits for a batch of images.</summary>
    /// <param name="images">[N, C, H, W], already preprocessed (e.g. ImageNet-normalised).</param>
    /// <returns>[N, Classes].</returns>
    /// <exception cref="ArgumentException">The input is not rank 4 or has the wrong channel count.</exception>
    Tensor Forward(Tensor images);

    /// <summary>Number of output classes.</summary>
    int Classes { get; }

    /// <summary>The input the model was designed for; models with adaptive pooling accept other sizes too.</summary>
    (int Channels, int Height, int Width) InputSize { get; }

    /// <summary>Class labels in output order, when known (e.g. from a Hugging Face config's id2label).</summary>
    IReadOnlyList<string>? ClassNames { get; set; }
}
