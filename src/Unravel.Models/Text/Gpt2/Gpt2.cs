// GPT-2 (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners",
// https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf): a pre-LN
// decoder-only transformer with learned positions and an output head tied to the token embedding.
//   x = wte[tokens] + wpe[positions];  x = block_l(x) for l < L;  logits = ln_f(x) · wteᵀ
// Module paths equal Hugging Face keys (wte, wpe, h.{l}.ln_1, h.{l}.attn.c_attn, …, ln_f) and are the hook names;
// TransformerLens names (blocks.{l}.mlp.hook_post, hook_embed, …) resolve to them (Gpt2HookAliases.cs). Checkpoint
// irregularities live in Gpt2Checkpoint.cs. Letters: B batch, T positions, C width, V vocabulary.
// Reference: transformers models/gpt2/modeling_gpt2.py; nanoGPT model.py; TransformerLens HookedTransformer.py.

using Unravel.IO;
using Unravel.Nn.Layers;

namespace Unravel.Models.Text;

/// <summary>GPT-2 language model; loads Hugging Face folders ("gpt2", "gpt2-medium", …) and their weight files.</summary>
/// <remarks>Hook names: "wte" (TransformerLens hook_embed), "wpe" (hook_pos_embed, [B, T, C]), the block hooks of
/// <see cref="Gpt2Block"/>, <see cref="Gpt2LayerNorm"/>, <see cref="Gpt2Attention"/> and <see cref="Gpt2Mlp"/>, and
/// "ln_f.hook_normalized" / "ln_f". TransformerLens aliases: hook_embed, hook_pos_embed, blocks.{l}.hook_resid_pre,
/// blocks.{l}.ln1.hook_normalized, blocks.{l}.attn.hook_z, blocks.{l}.hook_attn_out, blocks.{l}.hook_resid_mid,
/// blocks.{l}.ln2.hook_normalized, blocks.{l}.mlp.hook_pre, blocks.{l}.mlp.hook_post, blocks.{l}.hook_mlp_out,
/// blocks.{l}.hook_resid_post, ln_final.hook_normalized; "{l}" may be a glob ("blocks.*.mlp.hook_post").
/// TransformerLens's ln*.hook_normalized is the pre-affine x̂ (its default fold_ln processing); the LN output with
/// γ and β applied is our "h.{l}.ln_2".</remarks>
public sealed partial class Gpt2 : RootModule, ILanguageModel
{
    /// <summary>Builds GPT-2 from <paramref name="ws"/>: loads the bound tensors (in the model's layout, see
    /// <see cref="Gpt2Checkpoint.FromHuggingFace"/>) or initialises as GPT-2 does (N(0, 0.02) weights and embeddings,
    /// c_proj weights N(0, 0.02/√(2L)), zero biases, unit layer norms).</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public Gpt2(WeightSource ws, Gpt2Config config) : base(ws)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Wte = Child(new Embedding(ws.At("wte"), config.Vocab, config.Embd, Init.Normal(config.InitializerRange)));
        Wpe = Child(new Embedding(ws.At("wpe"), config.Context, config.Embd, Init.Normal(config.InitializerRange)));
        var blocks = new List<Gpt2Block>(config.Layers);
        for (int l = 0; l < config.Layers; l++) blocks.Add(Child(new Gpt2Block(ws.At("h").At(l), config)));
        H = blocks;
        LnF = Child(new Gpt2LayerNorm(ws.At("ln_f"), config.Embd, config.LayerNormEps));
    }

    public Gpt2Config Config { get; }

    /// <summary>Token embedding [V, C]; also the output head.</summary>
    public Embedding Wte { get; }

    /// <summary>Position embedding [Context, C].</summary>
    public Embedding Wpe { get; }

    /// <summary>The blocks "h.0" … "h.{L-1}".</summary>
    public IReadOnlyList<Gpt2Block> H { get; }

    /// <summary>Final layer norm.</summary>
    public Gpt2LayerNorm LnF { get; }

    public int VocabSize => Config.Vocab;

    public int Context => Config.Context;

    /// <inheritdoc/>
    public Tensor Forward(int[] tokens, int batch, int seq)
    {
        Tensor x = Embed(tokens, batch, seq);                                                 // [B, T, C]
        foreach (Gpt2Block block in H)
        {
            Tensor y = block.Forward(x);                                                      // [B, T, C]
            ReleaseIntermediate(x);
            x = y;
        }
        Tensor h = LnF.Forward(x);                                                            // [B, T, C]
        ReleaseIntermediate(x);
        Tensor logits = Ops.Linear(h, Wte.W.Value);                                           // [B, T, V]
        ReleaseIntermediate(h);
        return logits;
    }

    /// <summary>Checks the token ids and returns wte[tokens] + wpe[positions].</summary>
    private Tensor Embed(int[] tokens, int batch, int seq)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (batch < 1 || seq < 1 || tokens.Length != (long)batch * seq)
            throw new ArgumentException($"gpt2: {tokens.Length} tokens do not form batch {batch} × seq {seq}.", nameof(tokens));
        if (seq > Config.Context)
            throw new ArgumentException($"gpt2: sequence length {seq} exceeds the context {Config.Context}.", nameof(seq));
        var positions = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)Config.Vocab)
                throw new ModelInputException(
                    $"gpt2: token id {tokens[i]} at [{i / seq}, {i % seq}] is outside the model's vocabulary [0, {Config.Vocab}).",
                    "the text was tokenized with a larger vocabulary than the model has: use the tokenizer the model was trained with");
            positions[i] = i % seq;
        }
        return Wte.Forward(tokens, [batch, seq]) + Wpe.Forward(positions, [batch, seq]);      // [B, T, C]
    }

    /// <summary>Loads a Hugging Face folder (config.json + model.safetensors or pytorch_model.bin, possibly sharded) or
    /// a single safetensors / PyTorch weight file.</summary>
    /// <param name="path">A folder, or a weight file.</param>
    /// <param name="config">Required for a single file (the head count cannot be read from shapes). For a folder,
    /// optional; when given it must equal the folder's config.json.</param>
    /// <exception cref="ArgumentException">A single file without a config, or a config that contradicts config.json.</exception>
    /// <exception cref="CheckpointFormatException">The files are malformed, or config.json describes another model.</exception>
    /// <exception cref="WeightMismatchException">Missing, unexpected or mis-shaped keys (all listed).</exception>
    public static Gpt2 Load(string path, Gpt2Config? config = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            using HuggingFaceFolder folder = HuggingFaceFolder.Open(path);
            Gpt2Config stored = Gpt2Config.FromHuggingFace(folder.Config.RootElement, folder.ConfigPath);
            if (config is not null && config != stored)
                throw new ArgumentException($"gpt2: the given config {config} differs from {folder.ConfigPath} ({stored}).", nameof(config));
            return FromTensors(Gpt2Checkpoint.Read(folder), stored, path);
        }
        if (config is null)
            throw new ArgumentException(
                $"gpt2: '{path}' is a single weight file; pass its Gpt2Config (the head count cannot be read from tensor shapes) " +
                "or load the Hugging Face folder with its config.json.", nameof(config));
        using ITensorSource source = TensorSource.Open(path);
        return FromTensors(Gpt2Checkpoint.Read(source), config, path);
    }

    /// <summary>Builds GPT-2 from Hugging Face tensors (bare or "transformer."-prefixed keys, Conv1D weights [in, out]),
    /// strictly: every model key must be present with its shape and every checkpoint key used or ignored.</summary>
    /// <param name="tensors">Checkpoint keys → tensors.</param>
    /// <param name="config">The model's shape.</param>
    /// <param name="description">Names the source in errors.</param>
    /// <exception cref="WeightMismatchException">Missing, unexpected or mis-shaped keys; Conv1D shapes are given as
    /// stored ([in, out]).</exception>
    /// <exception cref="CheckpointFormatException">Duplicate key spellings or an untied lm_head.</exception>
    public static Gpt2 FromTensors(IReadOnlyDictionary<string, Tensor> tensors, Gpt2Config config, string description)
    {
        IReadOnlyDictionary<string, Tensor> loaded = Gpt2Checkpoint.FromHuggingFace(tensors, description);
        WeightSource ws = WeightSource.FromTensors(loaded, description);
        var model = new Gpt2(ws, config);
        try
        {
            ws.Complete([.. Gpt2Checkpoint.IgnoredKeys]);
        }
        catch (WeightMismatchException e)
        {
            throw Gpt2Checkpoint.InCheckpointLayout(e, loaded, model);
        }
        return model;
    }

    /// <summary>Writes a Hugging Face folder: config.json and model.safetensors (bare keys, Conv1D weights [in, out]).</summary>
    /// <param name="folder">Created when missing; existing files of those names are replaced.</param>
    public void Save(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        SafeTensors.Write(System.IO.Path.Combine(folder, "model.safetensors"), Gpt2Checkpoint.ToHuggingFace(StateDict()),
            new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(System.IO.Path.Combine(folder, "config.json"), Config.ToHuggingFaceJson());
    }

    /// <inheritdoc/>
    protected override string ResolveAlias(string name) => Gpt2HookAliases.Resolve(name);

    /// <summary>GPT-2's scaled init for the projections that write into the residual stream (c_proj): σ / √(2L).</summary>
    internal static Init ResidualInit(Gpt2Config config) =>
        Init.Normal(config.InitializerRange / MathF.Sqrt(2f * Math.Max(1, config.Layers)));
}
