// Named hook points (TransformerLens style). A hook is added for a name or glob and removed when its handle is
// disposed, so no hook outlives the `using` block that added it. With no hooks, Apply is one count check.

using System.Text.RegularExpressions;

namespace Unravel.Nn;

/// <summary>Reads or replaces activations at named points of one model.</summary>
public sealed class HookRegistry
{
    private readonly List<Entry> _entries = [];
    private Func<string, string>? _aliases;
    private Func<IReadOnlyList<string>>? _validNames;

    /// <summary>Adds a hook that may replace the activation (return a tensor of the same shape) or keep it (return null).</summary>
    /// <param name="pattern">A hook name or glob: <c>*</c> matches within one dotted segment, <c>**</c> across segments.</param>
    /// <exception cref="HookNotFoundException">The pattern matches no hook point of the model; the hint lists valid names.</exception>
    public IDisposable Add(string pattern, Func<string, Tensor, Tensor?> hook)
    {
        string resolved = ResolveAlias(pattern);
        Regex regex = GlobToRegex(resolved);
        if (_validNames?.Invoke() is { } names && !names.Any(regex.IsMatch))
            throw new HookNotFoundException(pattern, names);
        var entry = new Entry(regex, hook);
        _entries.Add(entry);
        return new Handle(this, entry);
    }

    /// <summary>Adds a read-only hook.</summary>
    public IDisposable Add(string pattern, Action<string, Tensor> read) => Add(pattern, (n, t) => { read(n, t); return null; });

    /// <summary>Number of active hooks.</summary>
    public int Count => _entries.Count;

    /// <summary>Whether an active hook matches any of <paramref name="names"/> (e.g. the hook names inside a module, to
    /// decide whether its intermediates may be skipped by a fused kernel).</summary>
    public bool AnyMatch(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (_entries.Count == 0) return false;
        foreach (string name in names)
            foreach (Entry e in _entries)
                if (e.Pattern.IsMatch(name)) return true;
        return false;
    }

    /// <summary>Runs the hooks matching <paramref name="name"/> in the order added; returns the (possibly replaced) activation.</summary>
    public Tensor Apply(string name, Tensor activation)
    {
        if (_entries.Count == 0) return activation;
        foreach (Entry e in _entries.ToArray())
        {
            if (!e.Pattern.IsMatch(name)) continue;
            if (e.Hook(name, activation) is { } replaced)
            {
                if (!replaced.Shape.SequenceEqual(activation.Shape))
                    throw new ArgumentException($"hook at '{name}': replacement {replaced.ShapeString} differs from activation {activation.ShapeString}.");
                activation = replaced;
            }
        }
        return activation;
    }

    /// <summary>Installs the model's list of valid names (checked by <see cref="Add(string, Func{string, Tensor, Tensor?})"/>) and an alias mapping.</summary>
    internal void Configure(Func<IReadOnlyList<string>> validNames, Func<string, string>? aliases)
    {
        _validNames = validNames;
        _aliases = aliases;
    }

    /// <summary>Maps an alias (e.g. a TransformerLens name) to the model's own hook name; identity otherwise.</summary>
    public string ResolveAlias(string name) => _aliases?.Invoke(name) ?? name;

    /// <summary>Glob → anchored regex: <c>**</c> any characters, <c>*</c> any characters except '.'.</summary>
    public static Regex GlobToRegex(string glob)
    {
        string escaped = Regex.Escape(glob).Replace(@"\*\*", "\u0001").Replace(@"\*", "[^.]*").Replace("\u0001", ".*");
        return new Regex("^" + escaped + "$", RegexOptions.CultureInvariant);
    }

    private sealed record Entry(Regex Pattern, Func<string, Tensor, Tensor?> Hook);

    private sealed class Handle(HookRegistry owner, Entry entry) : IDisposable
    {
        public void Dispose() => owner._entries.Remove(entry);
    }
}
