// The op kinds of the `unravel-bench profile` summary: each forward interval (named by the module kind or internal hook
// that closes it, see ModelsProfile) and each backward tape node (named by its op) is put under one kind, so a
// ResNet and GPT-2 profile read as one short table: convolution and GEMM, batch norm, ReLU, residual adds, pooling,
// attention, layer norm, softmax, GELU, embedding, other. Forward keys are module kinds (ModelsProfile.Kinds) or the
// last part of an internal hook's name (ResNet blocks: hook_relu1, hook_relu2, hook_add; GPT-2: hook_z, hook_post, ...).

namespace Unravel.Bench;

/// <summary>Maps profile keys to op kinds.</summary>
internal static class ProfileKinds
{
    public const string Gemm = "conv / GEMM";
    public const string BatchNorm = "batch norm";
    public const string Relu = "ReLU";
    public const string Add = "residual add";
    public const string Pooling = "pooling";
    public const string Attention = "attention (QKᵀ, mask, softmax, ·V)";
    public const string LayerNorm = "layer norm";
    public const string Softmax = "softmax";
    public const string Gelu = "GELU";
    public const string Embedding = "embedding";
    public const string Other = "other (reshapes, copies, containers)";

    /// <summary>The kind of a forward interval, from the key ModelsProfile gives it: a module kind such as
    /// "Conv2d 3x3 s1 64→64", "BatchNorm2d", "block output (relu)", or an internal hook's last name part ("hook_z").</summary>
    public static string OfForward(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith("Conv2d", StringComparison.Ordinal) || key.StartsWith("Linear", StringComparison.Ordinal)) return Gemm;
        return key switch
        {
            "BatchNorm2d" => BatchNorm,
            "Relu" or "hook_relu1" or "hook_relu2" => Relu,
            "block output (relu)" => Relu,                // ResNet: the block's final ReLU (its add closes at hook_add)
            "hook_add" => Add,                            // ResNet: the block's residual add
            "hook_z" => Attention,                        // GPT-2: from the packed q, k, v to the per-head outputs
            "LayerNorm" or "Gpt2LayerNorm" or "hook_normalized" => LayerNorm,
            "hook_resid_mid" or "hook_resid_post" => Add, // GPT-2: x + attn(ln_1(x)), x + mlp(ln_2(x))
            "hook_post" => Gelu,                          // GPT-2 MLP: gelu(c_fc(x))
            "Embedding" => Embedding,
            _ when key.Contains("Pool", StringComparison.Ordinal) => Pooling,
            _ => Other,
        };
    }

    /// <summary>The kind of a backward tape node from its key "op (owner kind)" or "op" (e.g. "conv2d_affine (Conv2d 3x3 …)").</summary>
    public static string OfBackward(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string op = key.Split(' ')[0];
        return op switch
        {
            "conv2d" or "conv2d_affine" or "linear" => Gemm,
            "batch_norm2d" => BatchNorm,
            "relu" => Relu,
            "add" => Add,
            "max_pool2d" or "avg_pool2d" or "adaptive_avg_pool2d" => Pooling,
            "causal_self_attention" => Attention,
            "layer_norm" => LayerNorm,
            "softmax" or "log_softmax" => Softmax,
            "gelu" => Gelu,
            "embedding" => Embedding,
            _ => Other,
        };
    }
}
