// What the channel split stage did (Hesse et al. 2025, arXiv 2504.12939), for the command's table or JSON.

using Unravel.Atlas.Methods;
using Unravel.Interpret.ChannelSplit;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of a split run.</summary>
/// <param name="Request">The request as run.</param>
/// <param name="Find">The search (run now, or reused from find.json).</param>
/// <param name="FindReused">True when the stored search was reused.</param>
/// <param name="Images">Which images found and which evaluated.</param>
/// <param name="FindFile">Path of the stored search.</param>
/// <param name="Split">The split record, or null for a find-only run.</param>
/// <param name="SplitFile">Path of the split record, or null.</param>
/// <param name="Seconds">Wall seconds per step: find, rho, split, evaluate, export, visualize.</param>
public sealed record SplitStageResult(SplitRequest Request, ChannelSplitFindResult Find, bool FindReused, SplitImagesRecord Images, string FindFile,
    SplitRecord? Split, string? SplitFile, IReadOnlyDictionary<string, double> Seconds);
