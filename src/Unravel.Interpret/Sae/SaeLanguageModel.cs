// A language model whose "output" is a sparse autoencoder's latents on one MLP layer's input (A. Foote 2024,
// "Tackling Polysemanticity with Neuron Embeddings", arXiv 2411.08166, §4.2: SAE latents are analysed like neurons).
// The wrapped model runs its blocks up to the layer; the SAE encodes the MLP input at every position and the latents
// pass through one hook point, so collection, top-k tables and per-token activations treat the latents as a layer.

using Unravel.Models;
using Unravel.Models.Text;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Interpret.Sae;

/// <summary>The latents of a sparse autoencoder on one block's MLP input, as a hooked language model.</summary>
public sealed class SaeLanguageModel : RootModule, ILanguageModel
{
    private readonly RootModule _model;
    private readonly ITransformerMlpModel _mlpModel;
    private readonly TransformerMlp _mlp;
    private readonly SparseAutoencoder _sae;
    private readonly bool _zeroFirst;

    /// <summary>Wraps a language model with transformer MLPs.</summary>
    /// <param name="model">The language model (an <see cref="ITransformerMlpModel"/> and <see cref="ILanguageModel"/>).</param>
    /// <param name="layer">The block whose MLP input the SAE reads.</param>
    /// <param name="sae">The SAE (input width = the residual width).</param>
    /// <param name="hook">Name of the latents' hook point (e.g. "h.2.mlp.sae").</param>
    /// <param name="zeroFirstPosition">Report 0 at position 0 (a beginning-of-text token the SAE was not trained on).</param>
    /// <exception cref="ArgumentException">The model lacks the capabilities, or the widths differ.</exception>
    public SaeLanguageModel(RootModule model, int layer, SparseAutoencoder sae, string hook, bool zeroFirstPosition)
        : base(WeightSource.Initialize(0))
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentException.ThrowIfNullOrEmpty(hook);
        if (model is not ITransformerMlpModel mlpModel || model is not ILanguageModel)
            throw new ArgumentException($"sae: {model.GetType().Name} is not a language model with transformer MLPs.", nameof(model));
        _model = model;
        _mlpModel = mlpModel;
        _mlp = mlpModel.MlpLayer(layer);
        if (_mlp.Width != sae.Inputs)
            throw new ArgumentException($"sae: the SAE reads {sae.Inputs} inputs but block {layer}'s MLP input has {_mlp.Width}.", nameof(sae));
        _sae = sae;
        _zeroFirst = zeroFirstPosition;
        Layer = layer;
        LatentHook = hook;
    }

    /// <summary>The block.</summary>
    public int Layer { get; }

    /// <summary>The hook point of the latents ([B, T, J]).</summary>
    public string LatentHook { get; }

    /// <inheritdoc/>
    protected override IEnumerable<string> InternalHookPoints => [LatentHook];

    /// <inheritdoc/>
    public int VocabSize => ((ILanguageModel)_model).VocabSize;

    /// <inheritdoc/>
    public int Context => ((ILanguageModel)_model).Context;

    /// <summary>The MLP input of block <see cref="Layer"/> for token windows, [B, T, D].</summary>
    public Tensor MlpInput(int[] tokens, int batch, int seq) =>
        _model.RunWithCache(() => _mlpModel.ForwardThroughLayer(tokens, batch, seq, Layer), _mlp.InputHook)[_mlp.InputHook];

    /// <summary>The latents [B, T, J] (passed through <see cref="LatentHook"/>).</summary>
    public Tensor Forward(int[] tokens, int batch, int seq)
    {
        Tensor x = MlpInput(tokens, batch, seq);
        float[] z = _sae.Encode(x.Reshape(batch * seq, _sae.Inputs)).ToArray();
        if (_zeroFirst)
            for (int b = 0; b < batch; b++) Array.Clear(z, b * seq * _sae.Latents, _sae.Latents);
        return Hook(LatentHook, Tensor.FromArray(z, batch, seq, _sae.Latents));
    }
}
