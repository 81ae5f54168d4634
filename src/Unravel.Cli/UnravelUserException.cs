namespace Unravel.Cli;

/// <summary>A mistake the user can fix (bad option, missing file); printed without a stack trace.</summary>
public sealed class UnravelUserException(string message, string? hint = null) : Exception(message)
{
    public string? Hint { get; } = hint;
}
