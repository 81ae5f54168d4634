// Every irregularity of GPT-2 checkpoints, in one place (STYLE.md rule 4):
// - Hugging Face's Conv1D stores attn.c_attn, attn.c_proj, mlp.c_fc and mlp.c_proj weights as [in, out] (y = x·W + b);
//   our Linear layers hold [out, in], so those four weights are transposed on load and back on save;
// - GPT2LMHeadModel state_dicts prefix every key with "transformer." (openai-community/gpt2's model.safetensors does
//   not); both spellings load;
// - the output head is tied to wte: an "lm_head.weight" equal to wte.weight is accepted and dropped;
// - older files carry the causal-mask buffers h.{l}.attn.bias [1, 1, n_positions, n_positions] and
//   h.{l}.attn.masked_bias (a scalar); they are ignored (and not even read by Read).
// Reference: transformers pytorch_utils.py (Conv1D), models/gpt2/modeling_gpt2.py; nanoGPT model.py (from_pretrained).

using System.Text.RegularExpressions;
using Unravel.IO;

namespace Unravel.Models.Text;

/// <summary>Converts between Hugging Face GPT-2 checkpoints and the layout of <see cref="Gpt2"/>.</summary>
public static class Gpt2Checkpoint
{
    /// <summary>Key prefix of GPT2LMHeadModel state_dicts.</summary>
    public const string TransformerPrefix = "transformer.";

    /// <summary>The tied output head's key in GPT2LMHeadModel state_dicts.</summary>
    public const string LmHeadKey = "lm_head.weight";

    /// <summary>Keys (after prefix removal) the model ignores: the causal-mask buffers of older checkpoints.</summary>
    public static IReadOnlyList<string> IgnoredKeys { get; } = ["h.*.attn.bias", "h.*.attn.masked_bias"];

    /// <summary>Key suffixes of the Conv1D weights stored [in, out].</summary>
    public static IReadOnlyList<string> Conv1DWeights { get; } =
        ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];

    private static readonly Regex[] s_ignored = [.. IgnoredKeys.Select(HookRegistry.GlobToRegex)];

    /// <summary>True for "h.{l}.attn.c_attn.weight" and the other three Conv1D weights (bare keys).</summary>
    public static bool IsConv1DWeight(string key) =>
        key.StartsWith("h.", StringComparison.Ordinal) && Conv1DWeights.Any(s => key.EndsWith("." + s, StringComparison.Ordinal));

    /// <summary>True for keys <see cref="IgnoredKeys"/> covers (bare keys).</summary>
    public static bool IsIgnored(string key) => s_ignored.Any(r => r.IsMatch(key));

    /// <summary>Reads every tensor of <paramref name="source"/> except the ignored mask buffers, keys and layout as stored.</summary>
    /// <exception cref="CheckpointFormatException">A tensor cannot be read.</exception>
    public static IReadOnlyDictionary<string, Tensor> Read(ITensorSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var tensors = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in source.Names)
            if (!IsIgnored(StripPrefix(name))) tensors.Add(name, source.GetTensor(name));
        return tensors;
    }

    /// <summary>Hugging Face tensors → the model's keys and layout: "transformer." removed, a tied lm_head.weight
    /// dropped, Conv1D weights transposed to [out, in]. Other keys pass unchanged (strict loading reports them).</summary>
    /// <param name="tensors">Checkpoint keys → tensors, with or without the "transformer." prefix.</param>
    /// <param name="location">The checkpoint, for error messages.</param>
    /// <exception cref="CheckpointFormatException">A key appears with and without the prefix, or lm_head.weight differs
    /// from wte.weight (an untied head, which GPT-2 does not have).</exception>
    public static IReadOnlyDictionary<string, Tensor> FromHuggingFace(IReadOnlyDictionary<string, Tensor> tensors, string location)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor? lmHead = null;
        foreach ((string name, Tensor value) in tensors)
        {
            if (name == LmHeadKey)
            {
                lmHead = value;
                continue;
            }
            string key = StripPrefix(name);
            Tensor t = IsConv1DWeight(key) && value.Rank == 2 ? Ops.Transpose(value, 0, 1) : value;   // [in, out] → [out, in]
            if (!result.TryAdd(key, t))
                throw new CheckpointFormatException(location, name, $"the checkpoint holds both '{key}' and '{TransformerPrefix}{key}'",
                    "keep one spelling of the keys");
        }
        if (lmHead is not null && result.TryGetValue("wte.weight", out Tensor? wte)
            && !(lmHead.Shape.SequenceEqual(wte.Shape) && lmHead.Data.SequenceEqual(wte.Data)))
            throw new CheckpointFormatException(location, LmHeadKey,
                $"lm_head.weight {lmHead.ShapeString} differs from wte.weight {wte.ShapeString}; GPT-2 ties its output head to wte",
                "this checkpoint has an untied head (a fine-tune that untied it?); it cannot be loaded as GPT-2");
        return result;
    }

    /// <summary>The model's state dict → Hugging Face layout: bare keys (as openai-community/gpt2 ships them), Conv1D
    /// weights back in [in, out], no lm_head (tied).</summary>
    public static IReadOnlyDictionary<string, Tensor> ToHuggingFace(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach ((string key, Tensor value) in stateDict)
            result.Add(key, IsConv1DWeight(key) && value.Rank == 2 ? Ops.Transpose(value.Detach(), 0, 1) : value);  // [out, in] → [in, out]
        return result;
    }

    /// <summary>Restates mis-shaped Conv1D entries in the checkpoint's own [in, out] orientation, so the shapes in the
    /// message are the ones a user sees in the file.</summary>
    /// <param name="e">The error from strict loading.</param>
    /// <param name="loaded">The tensors the model was bound from (output of <see cref="FromHuggingFace"/>).</param>
    /// <param name="model">The model, for its expected shapes.</param>
    internal static WeightMismatchException InCheckpointLayout(WeightMismatchException e, IReadOnlyDictionary<string, Tensor> loaded,
        Module model)
    {
        Dictionary<string, Tensor> expected = model.Parameters().ToDictionary(p => p.Path, p => p.Value);
        var misshaped = new List<string>(e.Misshaped.Count);
        foreach (string entry in e.Misshaped)
        {
            string key = entry[..Math.Max(0, entry.IndexOf(':', StringComparison.Ordinal))];
            // Rank-2 Conv1D weights were transposed on load: both shapes are [out, in] here.
            if (IsConv1DWeight(key) && loaded.TryGetValue(key, out Tensor? t) && t.Rank == 2
                && expected.TryGetValue(key, out Tensor? p) && p.Rank == 2)
                misshaped.Add($"{key}: checkpoint [{t.Dim(1)}, {t.Dim(0)}], model expects [{p.Dim(1)}, {p.Dim(0)}] " +
                    "(Conv1D weights, stored [in, out])");
            else misshaped.Add(entry);
        }
        return new WeightMismatchException(e.Source_, e.Missing, e.Unexpected, misshaped);
    }

    private static string StripPrefix(string name) =>
        name.StartsWith(TransformerPrefix, StringComparison.Ordinal) ? name[TransformerPrefix.Length..] : name;
}
