// Another process writes the atlas: a second writer stops at once with the holder's PID and command line instead of
// interleaving its files and rows with the first one's (AtlasLock).

namespace Unravel;

/// <summary>The atlas's writer's lock is held by another process.</summary>
/// <param name="atlas">The atlas folder.</param>
/// <param name="pid">The holder's PID, when its owner file could be read.</param>
/// <param name="message">"atlas … is in use by PID n (command …)".</param>
/// <param name="hint">What to do.</param>
/// <param name="inner">The failed open of the lock file.</param>
public sealed class AtlasInUseException(string atlas, int? pid, string message, string? hint = null, Exception? inner = null)
    : UnravelException(message, hint, inner)
{
    /// <summary>The atlas folder.</summary>
    public string Atlas { get; } = atlas;

    /// <summary>The holder's PID, or null when unknown.</summary>
    public int? Pid { get; } = pid;
}
