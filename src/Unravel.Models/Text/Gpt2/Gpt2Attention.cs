// GPT-2 causal self-attention: c_attn packs q, k, v ([B, T, 3C], head h in columns h·D..h·D+D-1 of each third), the
// fused Ops.CausalSelfAttention computes softmax(q·kᵀ/√D + causal mask)·v per head, and c_proj mixes the merged
// heads. Letters: B batch, T positions, C width, H heads, D = C / H.
// Reference: transformers models/gpt2/modeling_gpt2.py (GPT2Attention); nanoGPT model.py (CausalSelfAttention).

using Unravel.Nn.Layers;

namespace Unravel.Models.Text;

/// <summary>Multi-head causal self-attention with Hugging Face's module names (c_attn, c_proj).</summary>
/// <remarks>Hooks: "&lt;path&gt;.c_attn" (packed qkv), "&lt;path&gt;.hook_z" (per-head outputs [B, T, H, D], TransformerLens
/// attn.hook_z), "&lt;path&gt;.c_proj" and "&lt;path&gt;" (the output, TransformerLens hook_attn_out).</remarks>
public sealed class Gpt2Attention : Module
{
    /// <summary>Binds c_attn [3C, C] and c_proj [C, C] (Linear layout; the checkpoint's Conv1D [in, out] weights are
    /// transposed by <see cref="Gpt2Checkpoint"/>).</summary>
    public Gpt2Attention(WeightSource ws, Gpt2Config config) : base(ws)
    {
        Heads = config.Heads;
        int c = config.Embd;
        Init weight = Init.Normal(config.InitializerRange);
        CAttn = Child(new Linear(ws.At("c_attn"), c, 3 * c, weightInit: weight, biasInit: Init.Zeros));
        CProj = Child(new Linear(ws.At("c_proj"), c, c, weightInit: Gpt2.ResidualInit(config), biasInit: Init.Zeros));
    }

    public int Heads { get; }

    /// <summary>[3C, C]: queries, keys, values.</summary>
    public Linear CAttn { get; }

    /// <summary>[C, C].</summary>
    public Linear CProj { get; }

    protected override IEnumerable<string> InternalHookPoints => ["hook_z"];

    /// <summary>[B, T, C] → [B, T, C].</summary>
    /// <exception cref="ArgumentException">x is not [B, T, C].</exception>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 3 || x.Dim(2) != CAttn.InFeatures)
            throw new ArgumentException($"gpt2 attention ({Path}): input {x.ShapeString} is not [B, T, {CAttn.InFeatures}].", nameof(x));
        int b = x.Dim(0), t = x.Dim(1), c = x.Dim(2);
        Tensor qkv = CAttn.Forward(x);                                         // [B, T, 3C]
        Tensor z = Own(Ops.CausalSelfAttention(qkv, Heads));                  // [B, T, C]
        ReleaseIntermediate(qkv);
        z = Hook("hook_z", z.Reshape(b, t, Heads, c / Heads));                 // [B, T, H, D]
        Tensor y = CProj.Forward(z.Reshape(b, t, c));                         // [B, T, C]
        ReleaseIntermediate(z);
        return Output(y);
    }
}
