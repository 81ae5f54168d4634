// `unravel demo [--out DIR]`: the whole idea on the shipped defaults in one command. Collects two
// layers of the Fashion-MNIST model over its test set, ranks neurons by polysemanticity, runs concept vectors and PURE
// on the most polysemantic ones, explains them linearly by their labels and scores them, finds and splits a
// polysemantic channel of the last convolutional stage, collects the Brown language
// model's MLP layers over the held-out Brown text, runs concept vectors and token-level linear explanations on the most
// active neurons of each and neuron embeddings of all (keeping the most split), writes both reports, and prints where
// to open them with the
// wall time and peak memory. Every stage runs in-process through the same stage classes as its command.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Unravel.Atlas.Report;
using Unravel.Atlas.Stages;
using Unravel.Atlas;
using Unravel.Interpret.ChannelSplit;

namespace Unravel.Cli;

internal static class DemoCommand
{
    /// <summary>Fashion layers collected: a middle and the last residual stage.</summary>
    internal static readonly string[] FashionLayers = ["layer2", "layer3"];

    /// <summary>Convolution of the last residual stage searched for γ-polysemantic channels (collected too, for its report pages).</summary>
    internal const string FashionSplitLayer = "layer3.0.conv2";

    private static readonly Option<string> OutOption = new("--out", "-o") { Description = "Demo folder (atlases and reports).", DefaultValueFactory = _ => "unravel-demo" };
    private static readonly Option<int> TopOption = new("--top") { Description = "Most polysemantic neurons per layer to analyse with concept vectors and PURE.", DefaultValueFactory = _ => 8 };
    private static readonly Option<int> WindowsOption = new("--text-windows")
    {
        Description = "Held-out Brown windows of 64 tokens to collect (keeps the demo under 2 minutes).", DefaultValueFactory = _ => 256,
    };
    private static readonly Option<int?> LimitOption = new("--limit") { Description = "Use only the first N Fashion-MNIST test images (default: all 10,000)." };

    public static Command Create()
    {
        Command command = new("demo", "Run the pipeline on the shipped models and data, and write the HTML reports.") { OutOption, TopOption, WindowsOption, LimitOption };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Request(parse.GetValue(OutOption)!, parse.GetValue(TopOption), parse.GetValue(WindowsOption),
            parse.GetValue(LimitOption)), Console.Out, Console.Error, ct)));
        return command;
    }

    internal sealed record Request(string Out, int Top = 8, int TextWindows = 256, int? Limit = null);

    internal static int Run(Request r, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        if (r.Top < 1) throw new UnravelUserException($"--top must be at least 1 (got {r.Top}).");
        if (r.TextWindows < 1) throw new UnravelUserException($"--text-windows must be at least 1 (got {r.TextWindows}).");
        var watch = Stopwatch.StartNew();
        string root = Path.GetFullPath(r.Out);
        Directory.CreateDirectory(root);
        string fashion = Path.Combine(root, "fashion-atlas"), brown = Path.Combine(root, "brown-atlas");
        var stages = new List<(string Stage, double Seconds)>();
        void Stage(string name, Action action)
        {
            output.WriteLine($"== {name}");
            var t = Stopwatch.StartNew();
            action();
            stages.Add((name, t.Elapsed.TotalSeconds));
        }

        void Collect(CollectRequest request) =>
            CollectCommand.Render(ProgressBar.Around(error, bar => new CollectStage().Run(request, bar, cancellationToken)), output, error);

        Stage("collect fashion-small-resnet " + string.Join(", ", [.. FashionLayers, FashionSplitLayer]), () =>
        {
            LoadedModel model = ModelReference.Load(Assets.PathOf("models", "fashion-small-resnet", "model.safetensors"), "small-resnet-16");
            var spec = new DatasetSpec("idx", Path.GetFullPath(Assets.PathOf("data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")),
                Path.GetFullPath(Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz")));
            Collect(new CollectRequest(model, spec.Open(model.Model, r.Limit ?? int.MaxValue), spec, [.. FashionLayers, FashionSplitLayer], fashion) { Limit = r.Limit, Force = true });
        });
        Dictionary<string, int[]> ranked = [];
        Stage("concept vectors for every Fashion neuron; rank by polysemanticity", () => ranked = RankByPolysemanticity(fashion, r.Top, output, error, cancellationToken));
        Stage($"PURE virtual neurons for the {r.Top} most polysemantic neurons per layer", () =>
        {
            foreach ((string layer, int[] neurons) in ranked)
                if (neurons.Length > 0)
                    PureCommand.Render(new PureStage().Run(new PureRequest(AtlasSession.Open(fashion), layer, neurons), null, cancellationToken), output);
        });

        Stage($"linear explanations (labels) and scores for the {r.Top} most polysemantic neurons per layer", () =>
        {
            foreach ((string layer, int[] neurons) in ranked)
                if (neurons.Length > 0)
                {
                    AtlasSession session = AtlasSession.Open(fashion);
                    ExplainCommand.Render(new ExplainStage().Run(new ExplainRequest(session, layer, neurons), null, cancellationToken), output);
                    ScoreCommand.Render(new ScoreStage().Run(new ScoreRequest(session, layer, neurons), null, cancellationToken), output);
                }
        });

        Stage($"channel split of {FashionSplitLayer}: find on a seeded half of the test images, split the strongest pair, evaluate on the other half",
            () => DemoSplit(fashion, root, output, cancellationToken));

        // The held-out Brown files (tags stripped, detokenized, joined in name order) cut into 64-token windows; batches of
        // 8 windows keep the [B, T, 50257] logits at ~100 MB.
        Stage("collect brown-gpt2 MLP layers over held-out Brown text", () =>
        {
            LoadedModel model = ModelReference.Load(Assets.PathOf("models", "brown-gpt2", "model.safetensors"), "brown-gpt2");
            var spec = new DatasetSpec("brown", Path.GetFullPath(Assets.PathOf("data", "brown", "heldout")), Window: 64, Bos: false);
            Collect(new CollectRequest(model, spec.Open(model.Model), spec, ["blocks.*.mlp.hook_post"], brown) { K = 50, Batch = 8, Limit = r.TextWindows, Force = true });
        });

        Stage($"concept vectors for the {r.Top} most active neurons of each brown-gpt2 MLP layer", () =>
        {
            AtlasSession session = AtlasSession.Open(brown);
            foreach (AtlasLayer layer in session.Layers)
                ConceptsCommand.Render(new ConceptsStage().Run(new ConceptsRequest(session, layer.Name, MostActive(session.Atlas, layer.Name, r.Top)),
                    null, cancellationToken), output);
        });

        Stage($"linear explanations (Brown tokens) and scores for the {r.Top} most active neurons of each brown-gpt2 MLP layer", () =>
        {
            // The seeded 70/10/20 split is by window and needs at least 10 of them.
            if (r.TextWindows < 10)
            {
                output.WriteLine($"skipped: token-level explanations need at least 10 windows (--text-windows {r.TextWindows})");
                return;
            }
            AtlasSession session = AtlasSession.Open(brown);
            foreach (AtlasLayer layer in session.Layers)
            {
                int[] neurons = MostActive(session.Atlas, layer.Name, r.Top);
                ExplainCommand.Render(new ExplainStage().Run(new ExplainRequest(session, layer.Name, neurons) { Concepts = "tokens" }, null, cancellationToken), output);
                ScoreCommand.Render(new ScoreStage().Run(new ScoreRequest(session, layer.Name, neurons), null, cancellationToken), output);
            }
        });

        Stage($"neuron embeddings (tl) of every brown-gpt2 MLP neuron; the {r.Top} most split per layer kept", () =>
        {
            AtlasSession session = AtlasSession.Open(brown);
            foreach (AtlasLayer layer in session.Layers)
                EmbedCommand.Render(new EmbedStage().Run(new EmbedRequest(session, layer.Name) { MostSplit = r.Top }, null, cancellationToken), output);
        });

        var reports = new List<string>();
        Stage("write reports", () =>
        {
            foreach (string atlasPath in new[] { fashion, brown })
            {
                ReportStageResult report = new ReportStage().Run(new ReportRequest(AtlasSession.Open(atlasPath)), null, cancellationToken);
                if (report.Warning is not null) error.WriteLine($"warning: {report.Warning}");
                reports.Add(report.Index);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report: {report.Pages} pages → {report.Index}"));
            }
        });

        double wall = watch.Elapsed.TotalSeconds;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        output.WriteLine();
        output.WriteLine("Unravel demo done. Open in a browser:");
        foreach (string index in reports) output.WriteLine("  file://" + index);
        foreach ((string layer, int[] neurons) in ranked)
            if (neurons.Length > 0)
                output.WriteLine($"  most polysemantic {layer} neuron {neurons[0]}: file://{Path.Combine(fashion, "report", HtmlReport.NeuronHref(layer, neurons[0]))}");
        output.WriteLine($"or explore interactively: unravel serve {fashion}");
        foreach ((string stage, double seconds) in stages) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {seconds,6:0.0} s  {stage}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wall time {wall:0.0} s, peak memory {peak / (1024.0 * 1024.0):0} MiB (working set), {Environment.ProcessorCount} cores"));
        return ExitCodes.Success;
    }

    /// <summary>Channel splitting on the Fashion atlas: the search at the paper's γ = 0.5, then a split of the pair with the
    /// lowest ARV cosine. When no pair passes at 0.5, γ is raised to the first of <see cref="DemoGammas"/> at which one
    /// does, as a labelled demo choice (the stored pass is re-tested, not repeated), or the demo says that no
    /// γ-polysemantic pair was found.</summary>
    private static void DemoSplit(string fashion, string root, TextWriter output, CancellationToken cancellationToken)
    {
        // Feature visualisations of the original and both split channels at half the command's steps: 3 × 256 steps took
        // 49.9 s on the loaded 2-core machine, more than the demo's 2-minute budget leaves; 128 steps halve it.
        const int DemoFeatureSteps = 128;
        var find = new SplitRequest(AtlasSession.Open(fashion), FashionSplitLayer);
        SplitStageResult found = new SplitStage().Run(find, null, cancellationToken);
        SplitCommand.Render(found, output);
        var options = find.Options;
        if (found.Find.Pairs.Count == 0)
        {
            double gammaLow = options.GammaLow;
            double? demoGamma = DemoGammas.Cast<double?>().FirstOrDefault(g => found.Find.Cosines.Any(c => c.Cosine >= gammaLow && c.Cosine < g));
            if (demoGamma is not double gamma)
            {
                output.WriteLine($"no γ-polysemantic pair in {FashionSplitLayer} at γ {options.Gamma} or up to {DemoGammas[^1]}; nothing to split.");
                return;
            }
            options = options with { Gamma = gamma };
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"DEMO CHOICE: no pair passes the paper's γ = 0.5; γ raised to {gamma} to show a split (not a finding at γ = 0.5)."));
        }
        ArvCosine best = found.Find.Cosines.Where(c => c.Cosine >= options.GammaLow && c.Cosine < options.Gamma).OrderBy(c => c.Cosine).First();
        SplitCommand.Render(new SplitStage().Run(find with
        {
            Options = options, Channel = best.Channel, Classes = (best.Class1, best.Class2),
            Out = Path.Combine(root, $"split-{FashionSplitLayer}-{best.Channel}"), FeatureSteps = DemoFeatureSteps,
        }, null, cancellationToken), output);
    }

    /// <summary>The γ values the demo tries, in order, when no pair passes the paper's γ = 0.5 (the shipped model's one
    /// candidate on layer3.0.conv2, Coat | Sneaker on channel 47, has ARV cosine 0.80-0.82 depending on the images).</summary>
    private static readonly double[] DemoGammas = [0.65, 0.8, 0.85, 0.9];

    /// <summary>The <paramref name="top"/> neurons of a layer with the highest mean top-k activation.</summary>
    private static int[] MostActive(AtlasReader atlas, string layer, int top) =>
        Query(atlas, "SELECT idx FROM neurons WHERE layer = $l ORDER BY topk_max_mean DESC, idx LIMIT $k", layer, top);

    private static int[] Query(AtlasReader atlas, string sql, string layer, int top)
    {
        using AtlasDatabase db = AtlasDatabase.Open(atlas);
        return [.. db.Query(sql, ("$l", layer), ("$k", top)).Rows.Select(r => Convert.ToInt32(r[0], CultureInfo.InvariantCulture))];
    }

    /// <summary>Concept vectors for every neuron of the Fashion layers (the polysemanticity ranking), then the
    /// <paramref name="top"/> most polysemantic neurons of each layer.</summary>
    private static Dictionary<string, int[]> RankByPolysemanticity(string fashion, int top, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var ranked = new Dictionary<string, int[]>();
        foreach (string layer in FashionLayers)
        {
            AtlasSession session = AtlasSession.Open(fashion);
            ConceptsCommand.Render(new ConceptsStage().Run(new ConceptsRequest(session, layer), null, cancellationToken), output);
            int[] neurons = Query(session.Atlas,
                "SELECT idx FROM neurons WHERE layer = $l AND polysemanticity IS NOT NULL ORDER BY polysemanticity DESC, concepts DESC, idx LIMIT $k", layer, top);
            ranked[layer] = neurons;
            output.WriteLine($"most polysemantic in {layer}: {string.Join(", ", neurons)}");
        }
        return ranked;
    }
}
