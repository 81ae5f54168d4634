// What the collect stage did, for the command's summary table.

using Unravel.Interpret.Collection;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of a collection written as an atlas.</summary>
/// <param name="Request">The request as run.</param>
/// <param name="Result">The collection (with the relevance tables when asked).</param>
/// <param name="WriteTime">Time spent writing the atlas.</param>
public sealed record CollectStageResult(CollectRequest Request, CollectionResult Result, TimeSpan WriteTime);
