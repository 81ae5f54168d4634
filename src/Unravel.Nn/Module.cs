// Module tree: every module has the dotted path of its checkpoint keys, its children, its parameters, a
// train/eval flag, and hook points named "<path>" (its output) and "<path>.hook_<what>" (inside it).

namespace Unravel.Nn;

/// <summary>A node of a model. Built from a <see cref="WeightSource"/> whose prefix becomes <see cref="Path"/>.</summary>
public abstract class Module
{
    private readonly List<Module> _children = [];
    private readonly List<Parameter> _parameters = [];

    protected Module(WeightSource ws)
    {
        Path = ws.Prefix;
        Hooks = ws.Hooks;
    }

    /// <summary>The module's checkpoint path, e.g. "layer2.1.conv1" ("" for the root).</summary>
    public string Path { get; }

    /// <summary>The hook registry of the model this module belongs to.</summary>
    public HookRegistry Hooks { get; }

    /// <summary>True in training mode (dropout active, batch-norm uses batch statistics).</summary>
    public bool Training { get; private set; }

    public IReadOnlyList<Module> Children => _children;

    /// <summary>This module's own parameters and buffers (not its children's).</summary>
    public IReadOnlyList<Parameter> OwnParameters => _parameters;

    /// <summary>Extra hook points inside this module, as suffixes (e.g. "hook_resid_post").</summary>
    protected virtual IEnumerable<string> InternalHookPoints => [];

    /// <summary>This module and all descendants, pre-order.</summary>
    public IEnumerable<Module> Modules()
    {
        yield return this;
        foreach (Module c in _children)
            foreach (Module m in c.Modules()) yield return m;
    }

    /// <summary>All parameters and buffers of the subtree, in construction order.</summary>
    public IEnumerable<Parameter> Parameters() => Modules().SelectMany(m => m._parameters);

    /// <summary>Trainable parameters only.</summary>
    public IEnumerable<Parameter> TrainableParameters() => Parameters().Where(p => !p.IsBuffer);

    /// <summary>Hook names of this module: its output (when it has a path) and its internal points.</summary>
    public IEnumerable<string> HookNames()
    {
        if (Path.Length > 0) yield return Path;
        foreach (string p in InternalHookPoints) yield return HookName(p);
    }

    /// <summary>Sets training mode on the whole subtree.</summary>
    public void Train(bool training = true)
    {
        foreach (Module m in Modules()) m.Training = training;
    }

    public void Eval() => Train(false);

    /// <summary>Promises that the parameters and buffers of this subtree keep their values until the returned scope is
    /// disposed, so convolutions pack their weights once and reuse them (<see cref="FrozenWeights"/>). For inference over
    /// many batches; Dispose throws, naming the parameter, if a weight that was packed changed inside the scope.</summary>
    public FrozenWeights FreezeWeights() => FrozenWeights.Freeze(Parameters().Select(p => (p.Path, p.Value)));

    /// <summary>The state dict: checkpoint key → tensor, for every parameter and buffer.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() => Parameters().ToDictionary(p => p.Path, p => p.Value);

    protected T Child<T>(T module) where T : Module
    {
        _children.Add(module);
        return module;
    }

    protected Parameter Weight(WeightSource ws, string name, int[] shape, Init init) => Add(ws, name, shape, init, isBuffer: false);

    protected Parameter Buffer(WeightSource ws, string name, int[] shape, Init init) => Add(ws, name, shape, init, isBuffer: true);

    /// <summary>Passes this module's output through the hooks at <see cref="Path"/>; call at the end of Forward.</summary>
    protected Tensor Output(Tensor y) => Path.Length == 0 ? y : Hooks.Apply(Path, y);

    /// <summary>Passes an internal activation through the hooks at "<see cref="Path"/>.<paramref name="point"/>".</summary>
    protected Tensor Hook(string point, Tensor x) => Hooks.Apply(HookName(point), x);

    /// <summary>Tags the tape node that produced <paramref name="y"/> with this module, so LRP can find the layer.</summary>
    protected Tensor Own(Tensor y)
    {
        if (y.Tape is { } tape && tape.Nodes.Count > 0 && ReferenceEquals(tape.Nodes[^1].Output, y))
            tape.Nodes[^1].Owner = this;
        return y;
    }

    /// <summary>Gives the storage of <paramref name="intermediate"/>, an activation made inside this module's Forward and
    /// no longer needed there, back to the active <see cref="TensorArena"/> before the scope ends, so that the rest of the
    /// pass reuses it (a peak near the largest layers instead of the sum of all). Only when nothing else can hold it: eval
    /// mode, no hook on any point inside this module, the tensor untracked (no tape keeps it for a backward). Otherwise,
    /// and outside an arena scope, nothing happens.</summary>
    protected void ReleaseIntermediate(Tensor intermediate)
    {
        if (CanReleaseIntermediate(intermediate)) TensorArena.Release(intermediate);
    }

    /// <summary>True when nothing but this module's Forward can hold <paramref name="intermediate"/> (the condition of
    /// <see cref="ReleaseIntermediate"/>): eval mode, no hook inside this module, the tensor untracked. Then its storage may
    /// also be overwritten once its last reader has run (a residual add writing its sum over it).</summary>
    protected bool CanReleaseIntermediate(Tensor intermediate)
    {
        ArgumentNullException.ThrowIfNull(intermediate);
        if (Training || intermediate.IsTracked) return false;
        return !(Hooks.Count > 0 && Hooks.AnyMatch(Modules().SelectMany(m => m.HookNames())));
    }

    private string HookName(string point) => Path.Length == 0 ? point : Path + "." + point;

    private Parameter Add(WeightSource ws, string name, int[] shape, Init init, bool isBuffer)
    {
        var p = new Parameter(ws.Key(name), ws.Get(name, shape, init), isBuffer);
        _parameters.Add(p);
        return p;
    }

    public override string ToString() => $"{GetType().Name}({Path})";
}
