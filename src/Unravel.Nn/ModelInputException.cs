// An input the model cannot take: a token id outside its vocabulary, a non-finite pixel, image data for a language
// model. Thrown where the input meets the model, before any arithmetic, so the user sees which input and why.

namespace Unravel;

/// <summary>An input is outside what the model accepts.</summary>
/// <param name="message">Which input (file, index, position) and what the model expects.</param>
/// <param name="hint">What to do, e.g. "use the tokenizer the model was trained with".</param>
public sealed class ModelInputException(string message, string? hint = null) : UnravelException(message, hint);
