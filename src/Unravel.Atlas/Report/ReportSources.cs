// What the report can re-open besides the atlas itself: the dataset (to draw reference images or token windows), the
// model (receptive fields, and recomputing a neuron's activation map on each reference: the peak box on an image,
// per-token colours in a window) and the tokenizer. All optional: without them the report shows dataset indices and recorded values.

using Unravel.Nn;

namespace Unravel.Atlas.Report;

/// <summary>Optional sources for drawing references.</summary>
/// <param name="Dataset">The atlas's dataset (an <see cref="ImageDataset"/> or a <see cref="TokenWindowDataset"/>), or null.</param>
/// <param name="Model">The atlas's model (checked by the caller against the recorded SHA-256), or null.</param>
/// <param name="DecodeToken">Text of one token id (for token windows), or null.</param>
/// <param name="ClassNames">Names of the dataset's class labels, or null.</param>
/// <param name="RunModel">Re-run the model on the references (activation maps); false uses it only for receptive fields.</param>
public sealed record ReportSources(ICollectionDataset? Dataset = null, RootModule? Model = null, Func<int, string>? DecodeToken = null,
    IReadOnlyList<string>? ClassNames = null, bool RunModel = true)
{
    /// <summary>No sources: indices and values only.</summary>
    public static ReportSources None { get; } = new();

    /// <summary>What <paramref name="session"/> can re-open: its dataset and model (checked against the recorded hashes), the
    /// tokenizer for token windows, and class names from the model card or the dataset spec. A missing or changed model or
    /// dataset is not an error: the report then shows dataset indices, and <paramref name="warning"/> says why.</summary>
    public static ReportSources Of(AtlasSession session, bool runModel, out string? warning)
    {
        ArgumentNullException.ThrowIfNull(session);
        warning = null;
        LoadedModel? model = null;
        ICollectionDataset? dataset = null;
        try
        {
            model = session.Model;
            dataset = session.Dataset;
        }
        catch (UnravelException e)
        {
            warning = $"references are shown as dataset indices only: {e.Message}";
        }
        Func<int, string>? decode = dataset is TokenWindowDataset ? Assets.Tokenizer().TokenText : null;
        return new ReportSources(dataset, dataset is not null ? model?.Model : null, decode, dataset is not null ? session.ClassNames : null, runModel);
    }
}
