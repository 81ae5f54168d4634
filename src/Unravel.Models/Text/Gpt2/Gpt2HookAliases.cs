// TransformerLens hook names for GPT-2, mapped onto this model's hook names (module paths = Hugging Face keys).
// Only names with the same meaning are mapped; TransformerLens points that this model does not compute separately
// (attn.hook_q/k/v, hook_pattern, ln*.hook_scale, hook_attn_in, hook_mlp_in) are not aliased.
// Reference: TransformerLens HookedTransformer.py, components/transformer_block.py, components/layer_norm.py.

using System.Text.RegularExpressions;

namespace Unravel.Models.Text;

/// <summary>Maps TransformerLens names (and globs over the block index) to GPT-2 hook names.</summary>
internal static partial class Gpt2HookAliases
{
    /// <summary>TransformerLens name after "blocks.{l}." → ours after "h.{l}.".</summary>
    private static readonly Dictionary<string, string> s_block = new(StringComparer.Ordinal)
    {
        ["hook_resid_pre"] = "hook_resid_pre",
        ["ln1.hook_normalized"] = "ln_1.hook_normalized",  // pre-affine x̂ (TransformerLens with fold_ln, its default)
        ["attn.hook_z"] = "attn.hook_z",
        ["hook_attn_out"] = "attn",
        ["hook_resid_mid"] = "hook_resid_mid",
        ["ln2.hook_normalized"] = "ln_2.hook_normalized",
        ["mlp.hook_pre"] = "mlp.hook_pre",
        ["mlp.hook_post"] = "mlp.hook_post",
        ["hook_mlp_out"] = "mlp",
        ["hook_resid_post"] = "hook_resid_post",
    };

    private static readonly Dictionary<string, string> s_top = new(StringComparer.Ordinal)
    {
        ["hook_embed"] = "wte",
        ["hook_pos_embed"] = "wpe",
        ["ln_final.hook_normalized"] = "ln_f.hook_normalized",
    };

    /// <summary>Every TransformerLens name (block names with "{l}") this model answers to, for documentation and tests.</summary>
    public static IEnumerable<(string TransformerLens, string Ours)> All =>
        s_top.Select(kv => (kv.Key, kv.Value))
            .Concat(s_block.Select(kv => ("blocks.{l}." + kv.Key, "h.{l}." + kv.Value)));

    /// <summary>The hook name for <paramref name="name"/>: mapped when it is a TransformerLens name, unchanged otherwise.
    /// The block index may be a number or a glob segment ("blocks.*.mlp.hook_post" → "h.*.mlp.hook_post").</summary>
    public static string Resolve(string name)
    {
        if (s_top.TryGetValue(name, out string? top)) return top;
        Match m = BlockName().Match(name);
        return m.Success && s_block.TryGetValue(m.Groups[2].Value, out string? inner) ? $"h.{m.Groups[1].Value}.{inner}" : name;
    }

    [GeneratedRegex(@"^blocks\.([^.]+)\.(.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex BlockName();
}
