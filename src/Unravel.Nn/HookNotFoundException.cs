// A hook point, layer or module path that the model does not have; the message lists the valid names so the user can
// pick one without running `unravel inspect` first.

namespace Unravel;

/// <summary>No hook point of the model matches <see cref="Name"/>.</summary>
public sealed class HookNotFoundException : UnravelException
{
    /// <summary>Names <paramref name="name"/> and lists (up to 60 of) <paramref name="validNames"/>.</summary>
    /// <param name="name">The name or pattern as the user wrote it.</param>
    /// <param name="validNames">Hook names the model does have.</param>
    /// <param name="context">Who looked it up ("hooks", "lrp", "--lower"), put in front of the message.</param>
    public HookNotFoundException(string name, IReadOnlyList<string> validNames, string context = "hooks")
        : base($"{context}: '{name}' matches no hook point of the model.",
               $"valid names: {string.Join(", ", validNames.Take(60))}{(validNames.Count > 60 ? ", …" : "")} (see `unravel inspect MODEL`)")
    {
        Name = name;
        ValidNames = validNames;
    }

    /// <summary>The name as given.</summary>
    public string Name { get; }

    /// <summary>The model's hook names.</summary>
    public IReadOnlyList<string> ValidNames { get; }
}
