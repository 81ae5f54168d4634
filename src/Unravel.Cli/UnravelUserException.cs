namespace Unravel.Cli;

/// <summary>A mistake in the command line (bad option value or combination, missing file); printed without a stack trace.</summary>
public sealed class UnravelUserException(string message, string? hint = null) : UnravelException(message, hint);
