// The score stage (Oikarinen & Weng 2024, "Linear explanations for individual neurons", ICML, §4.1): every stored
// explanation of a layer's neurons becomes a simulator of the neuron's activation and is scored by Pearson r on one
// seeded test split: linear explanations through their concept set (rebuilt as recorded; one score per concept set),
// concept vectors (O'Mahony et al. 2023) through the projection of the layer's other neurons onto the neuron's concept
// vectors, and PURE virtual neurons (Dreyer et al. 2024) by routing each scored input's circuit to the nearest
// centroid. PURE needs a circuit per (neuron, input): they are computed here, batched through the PURE circuit pass,
// for the test and validation inputs and the first PureFitRows train inputs (whose means fit each part's value). The
// scores are stored per neuron through ScoresMethod.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret.LinearExplanations;
using Unravel.Interpret.Pure;
using Unravel.Interpret.Scoring;

namespace Unravel.Atlas.Stages;

/// <summary>Scores stored explanations and stores the scores.</summary>
public sealed class ScoreStage : IStage<ScoreRequest, ScoreStageResult>
{
    /// <inheritdoc/>
    public ScoreStageResult Run(ScoreRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        AtlasSession session = request.Session;
        using IDisposable writing = session.Lock("score", cancellationToken);
        AtlasReader atlas = session.Atlas;
        AtlasLayer layer = session.Layer(request.Layer);
        var clock = Stopwatch.StartNew();
        int seed = request.Seed ?? atlas.Seed;
        if (request.PureFitRows < 1) throw new UnravelException($"score: PURE fit rows must be at least 1 (got {request.PureFitRows}).");
        int[] stored = [.. LinearExplanationsMethod.Instance.Analysed(atlas, layer.Name).Union(ConceptsMethod.Instance.Analysed(atlas, layer.Name))
            .Union(PureMethod.Instance.Analysed(atlas, layer.Name)).Order()];
        int[] neurons = request.Neurons is null ? stored : session.Neurons(layer, request.Neurons);
        if (neurons.Length == 0)
            throw new AnalysisException($"score: layer '{layer.Name}' of {atlas.Root} has no stored explanation to score.",
                $"run `unravel explain {atlas.Root} --layer {layer.Name}`, `unravel concepts` or `unravel pure` first");
        DataSplit split = ExplainStage.Split(session, layer, seed);
        DataSplitRecord splitRecord = ExplainStage.Record(split);
        var scores = neurons.ToDictionary(n => n, _ => new List<ScoreRecord>());

        // Linear explanations, one score per concept set (one matrix each).
        var explanations = neurons.Select(n => (n, r: LinearExplanationsMethod.Instance.Read(atlas, layer.Name, n)))
            .Where(x => x.r is { Result.Explanations.Length: > 0 }).ToList();
        if (explanations.Count > 0)
        {
            int[] ids = [.. explanations.Select(x => x.n)];
            Tensor activations = NeuronActivations.Of(session, layer, ids, request.Batch, cancellationToken);
            var entries = explanations.SelectMany((x, column) => x.r!.Result.Explanations.Select(e => (x.n, e, column)));
            foreach (var group in entries.GroupBy(x => x.e.ConceptSet))
            {
                ConceptMatrix concepts = ConceptSets.Build(session, group.Key, layer.Inputs, split, request.Batch, cancellationToken);
                foreach ((int n, ExplanationRecord r, int column) in group)
                {
                    var e = new LinearExplanation(column, [.. r.Terms.Select(t => new ExplanationTerm(t.Concept, -1, t.Weight))], r.Bias, r.ValCorrelation);
                    SimulationScore s;
                    try
                    {
                        s = Scorer.Score(new LinearSimulator(e, concepts, "linear"), activations, column, split);
                    }
                    catch (ArgumentException ex)
                    {
                        throw new AtlasFormatException(LinearExplanationsMethod.Instance.PathOf(atlas, layer.Name, n), ex.Message, $"re-run `unravel explain` on neuron {n}");
                    }
                    scores[n].Add(new ScoreRecord(ScoresMethod.ExplainMethod(group.Key), $"linear ({group.Key})", NullIfNaN(s.TestCorrelation), NullIfNaN(s.ValCorrelation),
                        split.RowsPerUnit > 1 ? "token" : "input", splitRecord));
                }
            }
        }

        // Concept vectors: the pooled mean vectors of every input (text: of every window), split by input or window.
        var conceptRecords = neurons.Select(n => (n, r: ConceptsMethod.Instance.Read(atlas, layer.Name, n)))
            .Where(x => x.r is { Result.Concepts.Length: > 0 }).ToList();
        if (conceptRecords.Count > 0 && atlas.Has(layer.Name, "pooled_mean"))
        {
            (Tensor pooled, long[] rowInputs) = atlas.Pooled(layer.Name, "mean");
            if (rowInputs.Length == layer.Inputs && rowInputs.Select((v, i) => v == i).All(b => b))
            {
                DataSplit byInput = split.RowsPerUnit > 1 ? DataSplit.Create(layer.Inputs, seed) : split;
                foreach ((int n, NeuronRecord<ConceptsRecord>? r) in conceptRecords)
                {
                    SimulationScore s = Scorer.Score(new ConceptVectorSimulator(pooled, n, [.. r!.Result.Concepts.Select(c => c.Vector)]), pooled, n, byInput);
                    scores[n].Add(new ScoreRecord("concepts", "projection of the other neurons onto the concept vectors", NullIfNaN(s.TestCorrelation),
                        NullIfNaN(s.ValCorrelation), split.RowsPerUnit > 1 ? "window" : "input", ExplainStage.Record(byInput)));
                }
            }
        }

        ScorePure(request, layer, neurons, split, splitRecord, scores, cancellationToken);

        var results = neurons.Where(n => scores[n].Count > 0).Select(n => (n, new ScoresRecord([.. scores[n]]))).ToList();
        var options = new JsonObject { ["seed"] = seed, ["split"] = "70/10/20", ["methods"] = "explain, concepts, pure", ["pure_fit_rows"] = request.PureFitRows };
        ScoresMethod.Instance.Write(atlas, layer.Name, Provenance.Of(ScoresMethod.Instance.Name, atlas, seed, options), results);
        progress?.Report(StageProgress.After("score", neurons.Length, neurons.Length, clock.Elapsed));
        return new ScoreStageResult(layer, splitRecord, results, clock.Elapsed);
    }

    /// <summary>PURE: circuits of the test, validation and first <see cref="ScoreRequest.PureFitRows"/> train inputs for every
    /// neuron with virtual neurons, each routed to its nearest centroid (or to "silent" for the zero circuit); the part's
    /// mean activation over the fitted train inputs is the prediction.</summary>
    private static void ScorePure(ScoreRequest request, AtlasLayer layer, int[] neurons, DataSplit split, DataSplitRecord splitRecord,
        Dictionary<int, List<ScoreRecord>> scores, CancellationToken cancellationToken)
    {
        AtlasSession session = request.Session;
        var records = neurons.Select(n => (n, r: PureMethod.Instance.Read(session.Atlas, layer.Name, n)))
            .Where(x => x.r is { Result.VirtualNeurons.Length: > 0 }).ToList();
        if (records.Count == 0 || split.RowsPerUnit > 1 || session.Dataset is not ImageDataset data) return;
        int[] fit = [.. split.Train.Take(request.PureFitRows)];
        int[] rows = [.. fit.Concat(split.Val).Concat(split.Test).Distinct().Order()];
        int[] ids = [.. records.Select(x => x.n)];
        Tensor activations = NeuronActivations.Of(session, layer, ids, request.Batch, cancellationToken);
        Nn.RootModule model = session.Model.Model;
        model.Eval();
        foreach (var group in records.Select((x, column) => (x.n, x.r!, column)).GroupBy(x => x.Item2.Result.LowerLayer))
        {
            CircuitRequest[] pairs = [.. group.SelectMany(x => rows.Select(row => new CircuitRequest(x.n, row)))];
            CircuitResult circuits = Circuits.Compute(model, data, layer.Name, group.Key, pairs, request.Batch, null, cancellationToken);
            foreach ((int n, NeuronRecord<PureRecord> r, int column) in group)
            {
                var byRow = new float[]?[layer.Inputs];
                foreach (int row in rows) byRow[row] = circuits.Circuits[new CircuitRequest(n, row)];
                ClusterSimulator simulator = PureSimulator.Create([.. r.Result.VirtualNeurons.Select(v => v.Centroid)], byRow, Scorer.Column(activations, column), fit);
                SimulationScore s = Scorer.Score(simulator, activations, column, split);
                int silent = split.Test.Count(row => PureSimulator.IsSilent(byRow[row]!));
                scores[n].Add(new ScoreRecord(PureMethod.Instance.Name,
                    $"nearest of {r.Result.VirtualNeurons.Length} circuit centroids over {group.Key} (silent: {silent} of {split.Test.Length} test inputs), mean of {fit.Length} train inputs",
                    NullIfNaN(s.TestCorrelation), NullIfNaN(s.ValCorrelation), "input", splitRecord));
            }
        }
    }

    private static double? NullIfNaN(double v) => double.IsFinite(v) ? v : null;
}
