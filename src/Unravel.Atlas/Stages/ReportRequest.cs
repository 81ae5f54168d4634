// What `unravel report`, `unravel demo` ask of the report stage.

namespace Unravel.Atlas.Stages;

/// <summary>Write an atlas's static HTML report.</summary>
/// <param name="Session">The open atlas.</param>
/// <param name="Out">Report folder, or null for ATLAS/report.</param>
/// <param name="RunModel">Re-run the model on the references shown (peak boxes, token shades); false uses recorded values only.</param>
public sealed record ReportRequest(AtlasSession Session, string? Out = null, bool RunModel = true);
