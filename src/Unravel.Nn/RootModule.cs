// The top of a model: owns the hook registry configuration, lists every hook name, and runs with a cache.

namespace Unravel.Nn;

/// <summary>A whole model. Knows its hook names, validates hook patterns against them, and captures activations.</summary>
public abstract class RootModule : Module
{
    private IReadOnlyList<string>? _hookNames;

    protected RootModule(WeightSource ws) : base(ws) => Hooks.Configure(() => AllHookNames, ResolveAlias);

    /// <summary>Every hook name of the model, in module order.</summary>
    public IReadOnlyList<string> AllHookNames => _hookNames ??= Modules().SelectMany(m => m.HookNames()).ToList();

    /// <summary>Maps alternative names (e.g. TransformerLens's) to this model's hook names; identity by default.</summary>
    protected virtual string ResolveAlias(string name) => name;

    /// <summary>Runs <paramref name="forward"/> and captures the activations at <paramref name="names"/> (names or globs).</summary>
    /// <exception cref="HookNotFoundException">A name matches no hook point; the hint lists valid names.</exception>
    public ActivationCache RunWithCache(Func<Tensor> forward, params string[] names)
    {
        var captured = new Dictionary<string, Tensor>();
        var handles = new List<IDisposable>();
        try
        {
            foreach (string n in names) handles.Add(Hooks.Add(n, (name, t) => { captured[name] = t; }));
            Tensor output = forward();
            return new ActivationCache(captured, Hooks, output);
        }
        finally
        {
            foreach (IDisposable h in handles) h.Dispose();
        }
    }
}
