// The explain stage: linear explanations (Oikarinen & Weng 2024, "Linear explanations for individual neurons", ICML,
// §3–4) for a layer's neurons. Activations over every collected input (NeuronActivations), a concept set (ConceptSets),
// a seeded 70/10/20 split (by input, or by token window for text), the fit, then per neuron its test and validation r,
// the best single concept's test r and a scatter sample, stored through LinearExplanationsMethod beside the neuron's
// explanations on other concept sets (a run replaces only its own set's). Called by
// `unravel explain`, the explorer's on-demand analysis and `unravel demo`.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret.LinearExplanations;
using Unravel.Interpret.Scoring;

namespace Unravel.Atlas.Stages;

/// <summary>Runs linear explanations and stores the results.</summary>
public sealed class ExplainStage : IStage<ExplainRequest, ExplainStageResult>
{
    /// <summary>Test rows kept per neuron for the predicted-vs-actual plot.</summary>
    public const int ScatterRows = 400;

    /// <inheritdoc/>
    public ExplainStageResult Run(ExplainRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ConceptSets.Validate(request.Concepts);
        if (request.Batch < 1) throw new UnravelException($"explain: batch must be at least 1 (got {request.Batch}).");
        AtlasSession session = request.Session;
        using IDisposable writing = session.Lock("explain", cancellationToken);
        AtlasReader atlas = session.Atlas;
        AtlasLayer layer = session.Layer(request.Layer);
        int[] neurons = session.Neurons(layer, request.Neurons);
        var clock = Stopwatch.StartNew();
        int seed = request.Seed ?? atlas.Seed;
        DataSplit split = Split(session, layer, seed);
        Tensor activations = NeuronActivations.Of(session, layer, neurons, request.Batch, cancellationToken);
        ConceptMatrix concepts = ConceptSets.Build(session, request.Concepts, layer.Inputs, split, request.Batch, cancellationToken);
        LinearExplanationResult fit;
        try
        {
            fit = LinearExplainer.Run(concepts, activations, null, split, request.Options,
                progress is null ? null : new Progress<int>(done => progress.Report(StageProgress.After("explain", done, neurons.Length, clock.Elapsed))), cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new AnalysisException($"explain: {e.Message}", "try another concept set with --concepts");
        }
        var set = new ConceptSetRecord(fit.Provenance.Kind, fit.Provenance.Source, fit.Provenance.Detail, fit.Concepts.Count);
        DataSplitRecord splitRecord = Record(split);
        var records = new List<(int, ExplanationsRecord)>(neurons.Length);
        var done = new List<ExplainNeuron>(neurons.Length);
        for (int t = 0; t < neurons.Length; t++)
        {
            ExplanationRecord record = Explain(fit.Neurons[t], concepts, activations, t, split, request.Concepts, set, splitRecord);
            ExplanationsRecord stored = LinearExplanationsMethod.Instance.Read(atlas, layer.Name, neurons[t])?.Result ?? new ExplanationsRecord([]);
            records.Add((neurons[t], stored.With(record)));
            done.Add(new ExplainNeuron(neurons[t], record, LinearExplanationsMethod.Instance.PathOf(atlas, layer.Name, neurons[t]), stored.With(record)));
        }
        LinearExplanationOptions o = request.Options;
        var options = new JsonObject
        {
            ["concepts"] = request.Concepts, ["seed"] = seed, ["l1"] = o.L1, ["l2"] = o.L2, ["width"] = o.Width, ["max_terms"] = o.MaxTerms,
            ["tolerance"] = o.Tolerance, ["filter"] = o.Filter, ["coordinate_tolerance"] = o.CoordinateTolerance,
            ["pooling"] = split.RowsPerUnit > 1 ? "per token" : "mean over positions", ["split"] = "70/10/20 by " + (split.RowsPerUnit > 1 ? "window" : "input"),
        };
        LinearExplanationsMethod.Instance.Write(atlas, layer.Name, Provenance.Of(LinearExplanationsMethod.Instance.Name, atlas, seed, options), records);
        return new ExplainStageResult(layer, request, set, splitRecord, done, clock.Elapsed);
    }

    /// <summary>The seeded split of the layer's inputs: by input for images, by token window for text.</summary>
    internal static DataSplit Split(AtlasSession session, AtlasLayer layer, int seed)
    {
        try
        {
            return session.Atlas.Dataset?.Kind is "brown" or "text" && session.Dataset is TokenWindowDataset w
                ? DataSplit.ForWindows(layer.Inputs, w.Length, seed)
                : DataSplit.Create(layer.Inputs, seed);
        }
        catch (ArgumentException e)
        {
            throw new AnalysisException($"explain: layer '{layer.Name}' of {session.Root} holds {layer.Inputs} inputs; {e.Message}", "collect at least 10 inputs");
        }
    }

    /// <summary>The stored form of a split.</summary>
    internal static DataSplitRecord Record(DataSplit s) => new(s.Seed, s.Units, s.RowsPerUnit, s.Train.Length, s.Val.Length, s.Test.Length);

    private static ExplanationRecord Explain(LinearExplanation e, ConceptMatrix concepts, Tensor activations, int column, DataSplit split, string setName,
        ConceptSetRecord set, DataSplitRecord splitRecord)
    {
        var simulator = new LinearSimulator(e, concepts);
        SimulationScore score = Scorer.Score(simulator, activations, column, split);
        LinearExplanation best = Baselines.BestSingleConcept(concepts, activations, column, split);
        SimulationScore baseline = Scorer.Score(new LinearSimulator(best, concepts, "best-single"), activations, column, split);
        int step = Math.Max(1, (split.Test.Length + ScatterRows - 1) / ScatterRows);
        int[] rows = [.. split.Test.Where((_, i) => i % step == 0)];
        float[] actual = Scorer.Column(activations, column);
        return new ExplanationRecord(setName, set, [.. e.Terms.Select(t => new ExplanationTermRecord(t.Concept, t.Weight))], e.Bias, e.Formula(),
            score.TestCorrelation, e.ValCorrelation, baseline.TestCorrelation, best.Terms.Count > 0 ? best.Terms[0].Concept : null, splitRecord,
            [.. rows.Select(r => actual[r])], [.. Scorer.Predict(simulator, rows).Select(v => (float)v)]);
    }
}
