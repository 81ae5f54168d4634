// GPT-2 hyper-parameters, the four OpenAI presets, and the Hugging Face config.json mapping (field names of
// transformers' GPT2Config: vocab_size, n_positions, n_layer, n_head, n_embd, n_inner, layer_norm_epsilon,
// activation_function).
// Reference: Radford et al. 2019, "Language Models are Unsupervised Multitask Learners", Table 2;
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/gpt2/configuration_gpt2.py

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.IO;

namespace Unravel.Models.Text;

/// <summary>GPT-2 shape: vocabulary V, context (learned positions), layers, heads H and width C.</summary>
/// <param name="Vocab">V.</param>
/// <param name="Context">Number of learned positions (n_positions).</param>
/// <param name="Layers">Number of transformer blocks (n_layer).</param>
/// <param name="Heads">Attention heads H (n_head); must divide <paramref name="Embd"/>.</param>
/// <param name="Embd">Residual width C (n_embd).</param>
public sealed record Gpt2Config(int Vocab, int Context, int Layers, int Heads, int Embd)
{
    /// <summary>gpt2: 124,439,808 parameters.</summary>
    public static Gpt2Config Small { get; } = new(50257, 1024, 12, 12, 768);

    /// <summary>gpt2-medium: 354,823,168 parameters.</summary>
    public static Gpt2Config Medium { get; } = new(50257, 1024, 24, 16, 1024);

    /// <summary>gpt2-large: 774,030,080 parameters.</summary>
    public static Gpt2Config Large { get; } = new(50257, 1024, 36, 20, 1280);

    /// <summary>gpt2-xl: 1,557,611,200 parameters.</summary>
    public static Gpt2Config Xl { get; } = new(50257, 1024, 48, 25, 1600);

    /// <summary>brown-gpt2: the shipped Brown-corpus model, 4 layers, width 128, 4 heads, context 128 (7,237,376
    /// parameters, 6,432,896 of them in the tied token embedding).</summary>
    public static Gpt2Config Brown { get; } = new(50257, 128, 4, 4, 128);

    /// <summary>MLP width (n_inner); 4·C when not set.</summary>
    public int Inner
    {
        get => field == 0 ? 4 * Embd : field;
        init;
    }

    /// <summary>Layer-norm epsilon (layer_norm_epsilon).</summary>
    public float LayerNormEps { get; init; } = 1e-5f;

    /// <summary>MLP activation: <see cref="GeluApproximation.Tanh"/> is GPT-2's gelu_new.</summary>
    public GeluApproximation Activation { get; init; } = GeluApproximation.Tanh;

    /// <summary>Standard deviation of the N(0, σ) initialisation of weights and embeddings (initializer_range).</summary>
    public float InitializerRange { get; init; } = 0.02f;

    /// <summary>D = C / H.</summary>
    public int HeadDim => Embd / Heads;

    /// <summary>Number of parameters with the output head tied to wte.</summary>
    public long ParameterCount =>
        (long)Vocab * Embd + (long)Context * Embd + 2L * Embd
        + Layers * (4L * Embd                                   // ln_1, ln_2
                    + Embd * 3L * Embd + 3L * Embd               // attn.c_attn
                    + (long)Embd * Embd + Embd                   // attn.c_proj
                    + (long)Embd * Inner + Inner                 // mlp.c_fc
                    + (long)Inner * Embd + Embd);                // mlp.c_proj

    /// <summary>Throws when the shape is impossible.</summary>
    /// <exception cref="ArgumentException">A size is not positive or H does not divide C.</exception>
    public void Validate()
    {
        if (Vocab < 1 || Context < 1 || Layers < 0 || Heads < 1 || Embd < 1 || Inner < 1 || !(LayerNormEps > 0))
            throw new ArgumentException($"gpt2: invalid config {this} (sizes must be positive, eps > 0).");
        if (Embd % Heads != 0)
            throw new ArgumentException($"gpt2: n_embd {Embd} is not divisible by n_head {Heads}.");
    }

    /// <summary>Reads a Hugging Face GPT-2 config.json.</summary>
    /// <param name="config">The parsed JSON object.</param>
    /// <param name="location">The file, for error messages.</param>
    /// <exception cref="CheckpointFormatException">A required field is missing or not an integer, or the config asks
    /// for a variant this implementation does not have (another model_type, an unknown activation, untied head,
    /// unscaled or layer-scaled attention).</exception>
    public static Gpt2Config FromHuggingFace(JsonElement config, string location)
    {
        if (config.ValueKind != JsonValueKind.Object)
            throw new CheckpointFormatException(location, "config", "config.json is not a JSON object");
        if (String(config, "model_type", location) is { } type && type != "gpt2")
            throw new CheckpointFormatException(location, "model_type", $"model_type is '{type}', not 'gpt2'",
                "load this folder with the loader of its own architecture");
        int positions = Int(config, "n_positions", location) ?? Int(config, "n_ctx", location)
            ?? throw new CheckpointFormatException(location, "n_positions", "the field is missing");
        var cfg = new Gpt2Config(Required(config, "vocab_size", location), positions, Required(config, "n_layer", location),
            Required(config, "n_head", location), Required(config, "n_embd", location))
        {
            Inner = Int(config, "n_inner", location) ?? 0,
            LayerNormEps = (float)(Number(config, "layer_norm_epsilon", location) ?? 1e-5),
            InitializerRange = (float)(Number(config, "initializer_range", location) ?? 0.02),
            Activation = String(config, "activation_function", location) switch
            {
                null or "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => GeluApproximation.Tanh,
                "gelu" => GeluApproximation.Erf,
                string other => throw new CheckpointFormatException(location, "activation_function",
                    $"activation '{other}' is not supported (gelu_new, gelu_pytorch_tanh, gelu_fast and gelu are)"),
            },
        };
        Unsupported(config, "scale_attn_weights", expected: true, location);
        Unsupported(config, "scale_attn_by_inverse_layer_idx", expected: false, location);
        Unsupported(config, "tie_word_embeddings", expected: true, location);
        try
        {
            cfg.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CheckpointFormatException(location, "config", e.Message, inner: e);
        }
        return cfg;
    }

    /// <summary>This config as a Hugging Face config.json (GPT2LMHeadModel).</summary>
    public string ToHuggingFaceJson()
    {
        var json = new JsonObject
        {
            ["activation_function"] = Activation == GeluApproximation.Tanh ? "gelu_new" : "gelu",
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["initializer_range"] = InitializerRange,
            ["layer_norm_epsilon"] = LayerNormEps,
            ["model_type"] = "gpt2",
            ["n_ctx"] = Context,
            ["n_embd"] = Embd,
            ["n_head"] = Heads,
            ["n_inner"] = Inner == 4 * Embd ? null : Inner,
            ["n_layer"] = Layers,
            ["n_positions"] = Context,
            ["scale_attn_by_inverse_layer_idx"] = false,
            ["scale_attn_weights"] = true,
            ["tie_word_embeddings"] = true,
            ["torch_dtype"] = "float32",
            ["vocab_size"] = Vocab,
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static int Required(JsonElement config, string name, string location) =>
        Int(config, name, location) ?? throw new CheckpointFormatException(location, name, "the field is missing");

    private static int? Int(JsonElement config, string name, string location)
    {
        if (!config.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
            throw new CheckpointFormatException(location, name, $"expected an integer, found {v.GetRawText()}");
        return i;
    }

    private static double? Number(JsonElement config, string name, string location)
    {
        if (!config.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number)
            throw new CheckpointFormatException(location, name, $"expected a number, found {v.GetRawText()}");
        return v.GetDouble();
    }

    private static string? String(JsonElement config, string name, string location)
    {
        if (!config.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
            throw new CheckpointFormatException(location, name, $"expected a string, found {v.GetRawText()}");
        return v.GetString();
    }

    private static void Unsupported(JsonElement config, string name, bool expected, string location)
    {
        if (!config.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return;
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False) || v.GetBoolean() != expected)
            throw new CheckpointFormatException(location, name,
                $"{name} = {v.GetRawText()} is not supported (only {expected.ToString(CultureInfo.InvariantCulture).ToLowerInvariant()})");
    }
}
