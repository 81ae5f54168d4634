// Base of the first-order optimizers: holds the parameters being trained, applies one update per step from the
// gradients a tape produced, and exposes its per-parameter state (momenta, moments) for checkpoints.
// Reference: torch.optim (https://pytorch.org/docs/stable/optim.html); updates follow torch 1.13's single-tensor paths.

using Unravel.Tensors.Autograd;

namespace Unravel.Nn.Optim;

/// <summary>Updates a fixed list of parameters in place from their gradients.</summary>
public abstract class Optimizer
{
    private readonly Parameter[] _parameters;
    private readonly bool[] _decay;

    /// <param name="parameters">The trainable parameters (buffers are rejected).</param>
    /// <param name="decays">Which parameters get weight decay; all when null.</param>
    /// <exception cref="ArgumentException">A parameter is a buffer or appears twice.</exception>
    protected Optimizer(IEnumerable<Parameter> parameters, Func<Parameter, bool>? decays)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.FirstOrDefault(p => p.IsBuffer) is { } buffer)
            throw new ArgumentException($"optimizer: {buffer.Path} is a buffer, not a trainable parameter.", nameof(parameters));
        if (_parameters.GroupBy(p => p.Path).FirstOrDefault(g => g.Count() > 1) is { } dup)
            throw new ArgumentException($"optimizer: parameter {dup.Key} is listed twice.", nameof(parameters));
        _decay = _parameters.Select(p => decays?.Invoke(p) ?? true).ToArray();
    }

    /// <summary>The parameters, in update order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Updates taken so far (AdamW's bias corrections use it; 1 after the first <see cref="Step"/>).</summary>
    public long StepCount { get; private set; }

    /// <summary>Names of the per-parameter state slots, e.g. "momentum_buffer" or "exp_avg", "exp_avg_sq".</summary>
    protected abstract IReadOnlyList<string> StateSlots { get; }

    /// <summary>Applies one update with learning rate <paramref name="learningRate"/>.</summary>
    /// <remarks>A parameter without a gradient in <paramref name="grads"/> is left unchanged (as torch does for
    /// <c>grad is None</c>), but the step still counts.</remarks>
    public void Step(GradStore grads, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(grads);
        StepCount++;
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (grads[_parameters[i].Value] is not { } g) continue;
            Update(i, _parameters[i].Value.Data, g.Data, learningRate, _decay[i]);
        }
    }

    /// <summary>Updates parameter <paramref name="index"/> in place.</summary>
    protected abstract void Update(int index, Span<float> param, ReadOnlySpan<float> grad, float learningRate, bool decay);

    /// <summary>The state buffer <paramref name="slot"/> of parameter <paramref name="index"/>, created zeroed.</summary>
    protected float[] Slot(int index, int slot)
    {
        float[]? s = Buffers[slot][index];
        if (s is null)
        {
            s = new float[_parameters[index].Value.Data.Length];
            Buffers[slot][index] = s;
        }
        return s;
    }

    /// <summary>True when the slot exists (torch creates momentum buffers lazily, which changes the first update).</summary>
    protected bool HasSlot(int index, int slot) => Buffers[slot][index] is not null;

    private float[]?[][] Buffers => field ??= StateSlots.Select(_ => new float[]?[_parameters.Length]).ToArray();

    /// <summary>The optimizer state as named tensors: "<c>slot</c>/<c>parameter path</c>" → buffer (copies).</summary>
    public IReadOnlyDictionary<string, Tensor> ExportState()
    {
        var result = new Dictionary<string, Tensor>();
        for (int s = 0; s < StateSlots.Count; s++)
            for (int i = 0; i < _parameters.Length; i++)
                if (Buffers[s][i] is { } buf)
                    result[StateSlots[s] + "/" + _parameters[i].Path] = Tensor.FromArray((float[])buf.Clone(), _parameters[i].Value.Shape.ToArray());
        return result;
    }

    /// <summary>Restores a state written by <see cref="ExportState"/> and the step count.</summary>
    /// <exception cref="ArgumentException">A key names an unknown slot or parameter, or a shape differs.</exception>
    public void ImportState(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        foreach (float[]?[] slot in Buffers) Array.Clear(slot);
        foreach ((string key, Tensor t) in state)
        {
            int cut = key.IndexOf('/', StringComparison.Ordinal);
            int s = cut < 0 ? -1 : IndexOf(StateSlots, key[..cut]);
            int i = cut < 0 ? -1 : Array.FindIndex(_parameters, p => p.Path == key[(cut + 1)..]);
            if (s < 0 || i < 0)
                throw new ArgumentException($"optimizer: state key '{key}' names no slot ({string.Join(", ", StateSlots)}) and parameter.", nameof(state));
            if (!t.Shape.SequenceEqual(_parameters[i].Value.Shape))
                throw new ArgumentException($"optimizer: state '{key}' has shape {t.ShapeString}, parameter is {_parameters[i].Value.ShapeString}.", nameof(state));
            Buffers[s][i] = t.Data.ToArray();
        }
        StepCount = stepCount;
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (int i = 0; i < list.Count; i++)
            if (list[i] == value) return i;
        return -1;
    }
}
