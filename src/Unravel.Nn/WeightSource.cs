// A prefix cursor over a checkpoint (candle's VarBuilder): `ws.At("layer1").At(0).At("conv1")` names a module
// once, and `Get("weight", shape)` binds one shape-checked tensor. Without a checkpoint it initialises weights
// (seeded, in construction order). Problems are collected and reported together by Complete().

using System.Text.RegularExpressions;

namespace Unravel.Nn;

/// <summary>Supplies named, shape-checked weights to modules while they are constructed.</summary>
public sealed class WeightSource
{
    /// <summary>Elements of initialised stand-ins for missing or mis-shaped keys beyond which loading stops at once (64 MiB of float32).</summary>
    public const long MaxStandInElements = 1L << 24;

    private readonly Store _store;

    private WeightSource(Store store, string prefix)
    {
        _store = store;
        Prefix = prefix;
    }

    /// <summary>The dotted path of the module being built ("" at the root).</summary>
    public string Prefix { get; }

    /// <summary>The hook registry shared by every module built from this source.</summary>
    public HookRegistry Hooks => _store.Hooks;

    /// <summary>True when weights come from a checkpoint rather than an initialiser.</summary>
    public bool IsLoading => _store.Tensors is not null;

    /// <summary>Weights from <paramref name="tensors"/> (checkpoint keys → tensors).</summary>
    /// <param name="description">Names the source in errors, e.g. the file path.</param>
    /// <param name="transform">Optional per-key conversion (e.g. transpose Conv1D weights), applied before the shape check.</param>
    public static WeightSource FromTensors(IReadOnlyDictionary<string, Tensor> tensors, string description,
        Func<string, Tensor, Tensor>? transform = null) =>
        new(new Store(tensors, description, transform, new Random(0)), "");

    /// <summary>Freshly initialised weights, seeded.</summary>
    public static WeightSource Initialize(int seed) => new(new Store(null, $"init(seed {seed})", null, new Random(seed)), "");

    /// <summary>The cursor for a child module.</summary>
    public WeightSource At(string name) => new(_store, Prefix.Length == 0 ? name : Prefix + "." + name);

    public WeightSource At(int index) => At(index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The full key of <paramref name="name"/> under this prefix.</summary>
    public string Key(string name) => Prefix.Length == 0 ? name : Prefix + "." + name;

    /// <summary>True when loading from a checkpoint that holds the key <c>Prefix.name</c>.</summary>
    public bool Has(string name) => _store.Tensors?.ContainsKey(Key(name)) == true;

    /// <summary>Binds the tensor <c>Prefix.name</c> of the given shape.</summary>
    /// <remarks>When loading, a missing or mis-shaped key is recorded (reported by <see cref="Complete"/>) and an
    /// initialised tensor stands in so construction can finish and report every problem at once, up to
    /// <see cref="MaxStandInElements"/> elements of stand-ins; beyond that the problems so far are thrown at once.</remarks>
    /// <exception cref="WeightMismatchException">The stand-ins would exceed <see cref="MaxStandInElements"/>.</exception>
    public Tensor Get(string name, int[] shape, Init init)
    {
        string key = Key(name);
        if (_store.Tensors is { } tensors)
        {
            _store.Used.Add(key);
            if (!tensors.TryGetValue(key, out Tensor? t)) _store.Missing.Add(key);
            else
            {
                if (_store.Transform is { } f) t = f(key, t);
                if (t.Shape.SequenceEqual(shape)) return t;
                _store.Misshaped.Add($"{key}: checkpoint {t.ShapeString}, model expects {ShapeRules.Format(shape)}");
            }
            // A stand-in is allocated only while it stays small: an architecture far larger than the checkpoint (gpt2-xl
            // over a 0.3 MB file) is reported at its first large missing tensor, not after building gigabytes of it.
            _store.StandIn += shape.Aggregate(1L, (a, d) => a * d);
            if (_store.StandIn > MaxStandInElements)
                throw new WeightMismatchException(_store.Description, _store.Missing, [], _store.Misshaped);
        }
        Tensor fresh = Tensor.Zeros(shape);
        init.Fill(fresh.Data, _store.Rng);
        return fresh;
    }

    /// <summary>Ends loading: throws when keys were missing, mis-shaped, or present in the checkpoint but unused.</summary>
    /// <param name="ignore">Glob patterns of checkpoint keys the model deliberately ignores (e.g. "h.*.attn.bias").</param>
    /// <exception cref="WeightMismatchException">Lists every offending key.</exception>
    public void Complete(params string[] ignore)
    {
        if (_store.Tensors is not { } tensors) return;
        Regex[] patterns = ignore.Select(HookRegistry.GlobToRegex).ToArray();
        List<string> unexpected = tensors.Keys
            .Where(k => !_store.Used.Contains(k) && !patterns.Any(p => p.IsMatch(k)))
            .ToList();
        if (_store.Missing.Count > 0 || unexpected.Count > 0 || _store.Misshaped.Count > 0)
            throw new WeightMismatchException(_store.Description, _store.Missing, unexpected, _store.Misshaped);
    }

    private sealed class Store(IReadOnlyDictionary<string, Tensor>? tensors, string description,
        Func<string, Tensor, Tensor>? transform, Random rng)
    {
        public IReadOnlyDictionary<string, Tensor>? Tensors { get; } = tensors;
        public string Description { get; } = description;
        public Func<string, Tensor, Tensor>? Transform { get; } = transform;
        public Random Rng { get; } = rng;
        public HashSet<string> Used { get; } = [];
        public List<string> Missing { get; } = [];
        public List<string> Misshaped { get; } = [];
        public long StandIn { get; set; }
        public HookRegistry Hooks { get; } = new();
    }
}
