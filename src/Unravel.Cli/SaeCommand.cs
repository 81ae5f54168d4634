// `unravel sae ATLAS --layer L [--ne-loss] [--latents J] [--steps N] [--out DIR] [--json]`: a sparse autoencoder on a
// transformer MLP layer's input over the atlas's token windows (A. Foote 2024, "Tackling Polysemanticity with Neuron
// Embeddings", arXiv 2411.08166, §4.2), with or without the neuron-embedding loss: parses the options into an
// SaeRequest, runs the SaeStage (weights, summary and the latents atlas) and prints the paper's Table 2/3 quantities.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Atlas;
using Unravel.Atlas.Stages;

namespace Unravel.Cli;

internal static class SaeCommand
{
    private static readonly Argument<string> AtlasArgument = new("atlas") { Description = "Atlas directory of a GPT-2 language model over text (from `unravel collect`)." };
    private static readonly Option<string> LayerOption = new("--layer", "-l") { Description = "A hook of the block's MLP (e.g. h.2.mlp.hook_post); the SAE reads that MLP's input.", Required = true };
    private static readonly Option<bool> NeLossOption = new("--ne-loss") { Description = "Add the neuron-embedding loss (momentum 0.9, from step 200; weight 1e-4)." };
    private static readonly Option<int?> LatentsOption = new("--latents") { Description = "Latents (default: 8 × the input width)." };
    private static readonly Option<int?> StepsOption = new("--steps") { Description = "Optimizer steps of 64 rows (default: one pass over the training rows)." };
    private static readonly Option<int?> SeedOption = new("--seed") { Description = "Seed of the initialisation and batches (default: the atlas's)." };
    private static readonly Option<string?> OutOption = new("--out", "-o") { Description = "Output folder (default: ATLAS/sae/<block>.mlp.sae-standard|ne)." };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print machine-readable JSON instead of the table." };

    public static Command Create()
    {
        Command command = new("sae", "Train a sparse autoencoder on a transformer MLP layer's input (optionally with the neuron-embedding loss), evaluate it and store it with an atlas of its latents.")
            { AtlasArgument, LayerOption, NeLossOption, LatentsOption, StepsOption, SeedOption, OutOption, JsonOption };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(parse.GetValue(AtlasArgument)!, parse.GetValue(LayerOption)!, parse.GetValue(NeLossOption),
            parse.GetValue(LatentsOption), parse.GetValue(StepsOption), parse.GetValue(SeedOption), parse.GetValue(OutOption), parse.GetValue(JsonOption)),
            Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Atlas, string Layer, bool NeLoss = false, int? Latents = null, int? Steps = null, int? Seed = null, string? Out = null,
        bool Json = false);

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        if (r.Latents is < 1) throw new UnravelUserException($"--latents must be at least 1 (got {r.Latents}).", "the paper uses 8 × the input width");
        if (r.Steps is < 1) throw new UnravelUserException($"--steps must be at least 1 (got {r.Steps}).");
        var request = new SaeRequest(AtlasSession.Open(r.Atlas), r.Layer)
        {
            NeuronEmbeddingLoss = r.NeLoss, Latents = r.Latents, Steps = r.Steps, Seed = r.Seed, Out = r.Out,
        };
        SaeStageResult result = ProgressBar.Around(error, bar => new SaeStage().Run(request, bar, cancellationToken));
        if (r.Json) WriteJson(output, result);
        else Render(result, output);
        return ExitCodes.Success;
    }

    private static string F(double v, string format = "0.0000") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static void Render(SaeStageResult run, TextWriter output)
    {
        var e = run.Evaluation;
        output.WriteLine($"SAE on {run.InputHook} (block {run.Block}): {run.Options.Latents} latents, {run.Options.Steps} steps, L1 {F(run.Options.L1, "0.####")}, " +
            (run.Options.NeuronEmbedding > 0 ? $"neuron-embedding loss {F(run.Options.NeuronEmbedding, "0.####")} from step {run.Options.NeuronEmbeddingStart}" : "no neuron-embedding loss") +
            $"; {run.TrainRows} training and {run.EvalRows} evaluation positions; trained in {F(run.TrainTime.TotalSeconds, "0.0")} s");
        var table = new TextTable("MSE", "L1", "L0", "dead", "loss increase", "median MaxDist", "median MeanDist");
        table.Add(F(e.Mse), F(e.L1, "0.00"), F(100 * e.L0Share, "0.00") + " %", F(100 * e.DeadShare, "0.0") + " %",
            F(run.LossIncrease, "+0.0000;-0.0000") + " nats", F(e.MaxDist.Median, "0.000"), F(e.MeanDist.Median, "0.000"));
        output.Write(table);
        output.WriteLine($"language-model loss {F(run.BaseLoss)} → {F(run.SplicedLoss)} nats on {run.LossWindows} evaluation windows with the SAE spliced in");
        output.WriteLine($"weights {run.Weights}; latents browsable as layer {run.LatentLayer} of {run.LatentAtlas} (unravel serve / report); {F(run.Elapsed.TotalSeconds, "0.0")} s");
    }

    private static void WriteJson(TextWriter output, SaeStageResult run)
    {
        var e = run.Evaluation;
        static double? N(double v) => double.IsFinite(v) ? v : null;
        output.WriteLine(JsonSerializer.Serialize(new
        {
            block = run.Block, input_hook = run.InputHook, latents = run.Options.Latents, steps = run.Options.Steps, l1_weight = run.Options.L1,
            ne_weight = run.Options.NeuronEmbedding, ne_start = run.Options.NeuronEmbeddingStart, momentum = run.Options.Momentum, seed = run.Options.Seed,
            train_rows = run.TrainRows, eval_rows = run.EvalRows, mse = N(e.Mse), l1 = N(e.L1), l0_share = N(e.L0Share), dead_share = N(e.DeadShare),
            base_loss = N(run.BaseLoss), spliced_loss = N(run.SplicedLoss), loss_increase = N(run.LossIncrease), loss_windows = run.LossWindows,
            max_dist_median = N(e.MaxDist.Median), mean_dist_median = N(e.MeanDist.Median), weights = run.Weights, latent_atlas = run.LatentAtlas,
            latent_layer = run.LatentLayer, seconds = run.Elapsed.TotalSeconds,
        }, new JsonSerializerOptions { WriteIndented = true }));
    }
}
