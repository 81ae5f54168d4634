// What the merge stage did, for the command's summary line.

using Unravel.Interpret.Collection;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of a merge.</summary>
/// <param name="Request">The request as run.</param>
/// <param name="Result">The merged collection.</param>
public sealed record MergeStageResult(MergeRequest Request, CollectionResult Result);
