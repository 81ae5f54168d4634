// A dataset that cannot be built from what the user passed: an image folder without class subfolders or images,
// images of different sizes without a crop, a text shorter than one window, a folder without Brown corpus files.

namespace Unravel;

/// <summary>The data given for a collection cannot form a dataset.</summary>
/// <param name="message">What is wrong, naming the file or folder.</param>
/// <param name="hint">What to pass instead, or null.</param>
public sealed class InvalidDatasetException(string message, string? hint = null) : UnravelException(message, hint);
