// What the report stage wrote.

namespace Unravel.Atlas.Stages;

/// <summary>The written report.</summary>
/// <param name="Index">Full path of index.html.</param>
/// <param name="Pages">Pages written.</param>
/// <param name="Warning">Why references are shown as indices only, or null.</param>
/// <param name="Elapsed">Time spent.</param>
public sealed record ReportStageResult(string Index, int Pages, string? Warning, TimeSpan Elapsed);
