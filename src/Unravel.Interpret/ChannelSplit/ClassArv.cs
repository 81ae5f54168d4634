// The averaged relevance vector of channel splitting (Hesse et al. 2025, arXiv 2504.12939): over the images of a
// class, the mean gradient × input of the spatially summed channel with respect to the layer's input channels.

namespace Unravel.Interpret.ChannelSplit;

/// <summary>ARV(c, t): one value per input channel of the layer (zero outside the channel's group), unnormalised.</summary>
/// <param name="Channel">Output channel c.</param>
/// <param name="Class">Class t.</param>
/// <param name="Values">[C_in].</param>
public sealed record ClassArv(int Channel, int Class, float[] Values);
