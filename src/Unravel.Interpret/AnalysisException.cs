// A method cannot run on what the user chose: a lower layer that does not feed the analysed one, a layer without a
// channel axis, a channel or class outside the layer, a resume checkpoint from another run. The message names the
// layer, neuron or file; the hint says which choice would work.

namespace Unravel;

/// <summary>An analysis (collection, attribution, PURE, …) cannot run on the chosen layers, neurons or targets.</summary>
/// <param name="message">What does not fit, naming the layer, neuron or file.</param>
/// <param name="hint">What to choose instead, or null.</param>
public sealed class AnalysisException(string message, string? hint = null) : UnravelException(message, hint);
