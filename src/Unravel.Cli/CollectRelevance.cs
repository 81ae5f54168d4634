// `unravel collect --relevance`: checks the options of the CRP relevance pass that CollectStage runs after the
// activation pass (docs/methods/lrp-crp.md).

using Unravel.Interpret.Attribution;
using Unravel.Interpret.Collection;
using Unravel.Models.Vision;

namespace Unravel.Cli;

internal static class CollectRelevance
{
    /// <summary>User error unless the model is an image classifier (checked before the dataset is loaded).</summary>
    public static void CheckModel(LoadedModel loaded)
    {
        if (loaded.Model is not IImageClassifier)
            throw new UnravelUserException($"--relevance is not supported for {loaded.Architecture}: relevance ranking runs LRP on image classifiers only.",
                "leave out --relevance for language models");
    }

    /// <summary>The relevance options of <paramref name="r"/>; user errors for a language model, an unknown composite or target,
    /// or the label target without labels.</summary>
    public static RelevanceOptions Options(CollectCommand.Request r, LoadedModel loaded, ICollectionDataset dataset)
    {
        CheckModel(loaded);
        if (r.Shard is not null)
            throw new UnravelUserException("--relevance cannot be combined with --shard: `unravel merge` does not merge relevance tables yet.", "collect with --relevance in one run");
        if (dataset is not ImageDataset) throw new UnravelUserException("--relevance needs image data.", "pass an IDX file or an image folder as --data");
        try
        {
            Composites.Create(r.Composite);
        }
        catch (ArgumentException e)
        {
            throw new UnravelUserException($"--composite: {e.Message}", "e.g. --composite epsilon-plus-flat");
        }
        RelevanceTarget target = r.RelevanceTarget switch
        {
            "predicted" => RelevanceTarget.Predicted,
            "label" => dataset.Labels is not null ? RelevanceTarget.Label
                : throw new UnravelUserException("--relevance-target label: the dataset has no labels.", "pass --labels FILE, or use --relevance-target predicted"),
            _ => throw new UnravelUserException($"--relevance-target {r.RelevanceTarget} is not predicted or label."),
        };
        return new RelevanceOptions { Composite = r.Composite, Target = target, TopK = r.K, BatchSize = r.Batch };
    }
}
