// The base of every error a user can cause and fix: a wrong path, an architecture that does not fit the checkpoint, a
// layer the atlas never collected, an input outside the model's range. Libraries throw a subtype with a message that
// names the file, key or layer and a hint saying what to do; only the CLI and the web catch it (exit code 2, HTTP
// 4xx). Anything else that escapes is a bug in Unravel. The type lives in the lowest project so that every layer can
// throw it; its subtypes live where they are thrown:
//   UnravelException
//   ├─ CheckpointFormatException   (Unravel.IO)      a file is not the format it claims
//   ├─ WeightMismatchException     (Unravel.Nn)      a checkpoint's keys or shapes do not fit the model
//   ├─ HookNotFoundException       (Unravel.Nn)      no hook point of that name; lists the valid ones
//   ├─ ModelInputException         (Unravel.Nn)      an input outside what the model takes (token id, NaN, kind)
//   ├─ AnalysisException           (Unravel.Interpret) a method cannot run on this layer or model
//   ├─ AtlasFormatException        (Unravel.Atlas)   an atlas file is missing, malformed or from a newer format
//   ├─ LayerNotCollectedException  (Unravel.Atlas)   the atlas has no such layer; lists the collected ones
//   ├─ AtlasInUseException         (Unravel.Atlas)   another process holds the atlas's writer's lock
//   └─ UnravelUserException        (Unravel.Cli)     a bad option value or combination

namespace Unravel;

/// <summary>An error caused by the user's input, with a message naming the file, key or layer and an optional hint.</summary>
public class UnravelException : Exception
{
    /// <summary>A user error.</summary>
    /// <param name="message">What is wrong, naming the file, key or layer.</param>
    /// <param name="hint">What the user can do about it, or null.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public UnravelException(string message, string? hint = null, Exception? inner = null) : base(message, inner) => Hint = hint;

    /// <summary>What the user can do about it (one line), or null.</summary>
    public string? Hint { get; }
}
