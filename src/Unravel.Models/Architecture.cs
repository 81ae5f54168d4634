// One registry entry: a named architecture preset and how to build it from a weight source.

namespace Unravel.Models;

/// <summary>A model preset, e.g. "resnet50" or "gpt2-medium".</summary>
/// <param name="Name">Registry name used on the command line.</param>
/// <param name="Family">"resnet", "vgg", "gpt2", "small-cnn".</param>
/// <param name="Summary">One line for `unravel models`.</param>
/// <param name="Create">Builds the model; the weight source decides between loading and seeded init.</param>
/// <param name="IgnoredKeys">Checkpoint key globs this architecture deliberately ignores (e.g. GPT-2's "h.*.attn.bias").</param>
/// <param name="PrepareWeights">Maps a checkpoint's tensors (and its location, for errors) to the model's keys and
/// layout before binding, e.g. GPT-2's Conv1D transposes and "transformer." prefix; null when they load as stored.
/// Loading: <c>WeightSource.FromTensors(arch.PrepareWeights?.Invoke(t, path) ?? t, path)</c>, <c>arch.Create(ws)</c>,
/// <c>ws.Complete(arch.IgnoredKeys)</c>.</param>
public sealed record Architecture(string Name, string Family, string Summary, Func<WeightSource, RootModule> Create,
    IReadOnlyList<string> IgnoredKeys,
    Func<IReadOnlyDictionary<string, Tensor>, string, IReadOnlyDictionary<string, Tensor>>? PrepareWeights = null);
