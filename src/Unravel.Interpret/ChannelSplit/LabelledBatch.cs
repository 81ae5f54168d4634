// A batch of labelled images, the unit the channel-split passes stream over.

using Unravel.Tensors;

namespace Unravel.Interpret.ChannelSplit;

/// <summary>Images [N, C, H, W] (preprocessed as the model expects) and their class labels [N].</summary>
/// <param name="Images">[N, C, H, W].</param>
/// <param name="Labels">One class per image.</param>
/// <param name="FirstIndex">Dataset index of the first image, so results can name images.</param>
public sealed record LabelledBatch(Tensor Images, int[] Labels, long FirstIndex = 0);
