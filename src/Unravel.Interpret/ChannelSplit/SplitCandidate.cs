// A candidate of channel splitting (Hesse et al. 2025, arXiv 2504.12939): a channel relevant to two or more classes.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Channel c and the classes it is relevant to (ascending).</summary>
public sealed record SplitCandidate(int Channel, int[] RelevantClasses);
