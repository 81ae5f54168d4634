// The activations captured by RootModule.RunWithCache, by hook name.

namespace Unravel.Nn;

/// <summary>Captured activations keyed by hook name (aliases resolve to the same entry).</summary>
public sealed class ActivationCache
{
    private readonly Dictionary<string, Tensor> _byName;
    private readonly HookRegistry _hooks;

    internal ActivationCache(Dictionary<string, Tensor> byName, HookRegistry hooks, Tensor output)
    {
        _byName = byName;
        _hooks = hooks;
        Output = output;
    }

    /// <summary>The model's output for the run.</summary>
    public Tensor Output { get; }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    /// <exception cref="KeyNotFoundException">The name was not captured; lists the captured names.</exception>
    public Tensor this[string name] =>
        _byName.TryGetValue(_hooks.ResolveAlias(name), out Tensor? t) ? t
        : throw new KeyNotFoundException($"activation '{name}' was not captured; captured: {string.Join(", ", _byName.Keys)}");

    public bool TryGet(string name, out Tensor? activation) => _byName.TryGetValue(_hooks.ResolveAlias(name), out activation);
}
