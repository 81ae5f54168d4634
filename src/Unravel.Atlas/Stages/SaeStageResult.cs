// What the SAE stage did, for the command's table or JSON.

using Unravel.Interpret.Sae;

namespace Unravel.Atlas.Stages;

/// <summary>The outcome of an SAE run (A. Foote 2024, arXiv 2411.08166, Tables 2 and 3 quantities).</summary>
/// <param name="Block">The transformer block.</param>
/// <param name="InputHook">The hook the SAE reads (the MLP input).</param>
/// <param name="Options">How it was trained.</param>
/// <param name="TrainRows">Token positions trained on (the first 80 % of the windows, beginning-of-text position left out).</param>
/// <param name="EvalRows">Token positions evaluated on (the other 20 %).</param>
/// <param name="Evaluation">MSE, L1, L0, dead share, latent MaxDist/MeanDist on the evaluation rows.</param>
/// <param name="BaseLoss">Mean next-token loss (nats) of the model on the loss windows.</param>
/// <param name="SplicedLoss">The same with the SAE's reconstruction in place of the MLP input.</param>
/// <param name="LossWindows">Windows the losses were measured on.</param>
/// <param name="Weights">The saved SAE (safetensors).</param>
/// <param name="LatentAtlas">The atlas of the latents (one layer, browsable like neurons).</param>
/// <param name="LatentLayer">Its layer name.</param>
/// <param name="TrainTime">Training time.</param>
/// <param name="Elapsed">Total time.</param>
public sealed record SaeStageResult(int Block, string InputHook, SaeOptions Options, int TrainRows, int EvalRows, SaeEvaluation Evaluation,
    double BaseLoss, double SplicedLoss, int LossWindows, string Weights, string LatentAtlas, string LatentLayer, TimeSpan TrainTime, TimeSpan Elapsed)
{
    /// <summary>Loss increase when the SAE is spliced in (nats).</summary>
    public double LossIncrease => SplicedLoss - BaseLoss;
}
