// The score stage (Oikarinen & Weng 2024, "Linear explanations for individual neurons", ICML, §4.1): every stored
// explanation of a layer's neurons becomes a simulator of the neuron's activation and is scored by Pearson r on one
// seeded test split: linear explanations through their concept set (rebuilt as recorded), concept vectors (O'Mahony
// et al. 2023) through the projection of the layer's other neurons onto the neuron's concept vectors. The scores are
// stored per neuron through ScoresMethod. PURE is not scored here: its simulator needs every input's circuit (one
// backward pass per input and neuron), which this stage does not compute.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret.LinearExplanations;
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
        int[] stored = [.. LinearExplanationsMethod.Instance.Analysed(atlas, layer.Name).Union(ConceptsMethod.Instance.Analysed(atlas, layer.Name)).Order()];
        int[] neurons = request.Neurons is null ? stored : session.Neurons(layer, request.Neurons);
        if (neurons.Length == 0)
            throw new AnalysisException($"score: layer '{layer.Name}' of {atlas.Root} has no stored explanation to score.",
                $"run `unravel explain {atlas.Root} --layer {layer.Name}` or `unravel concepts` first");
        DataSplit split = ExplainStage.Split(session, layer, seed);
        DataSplitRecord splitRecord = ExplainStage.Record(split);
        var scores = neurons.ToDictionary(n => n, _ => new List<ScoreRecord>());

        // Linear explanations, grouped by concept set (one matrix each).
        var explanations = neurons.Select(n => (n, r: LinearExplanationsMethod.Instance.Read(atlas, layer.Name, n)))
            .Where(x => x.r is not null).ToList();
        if (explanations.Count > 0)
        {
            int[] ids = [.. explanations.Select(x => x.n)];
            Tensor activations = NeuronActivations.Of(session, layer, ids, request.Batch, cancellationToken);
            foreach (var group in explanations.Select((x, column) => (x.n, x.r!, column)).GroupBy(x => x.Item2.Result.ConceptSet))
            {
                ConceptMatrix concepts = ConceptSets.Build(session, group.Key, layer.Inputs, split, request.Batch, cancellationToken);
                foreach ((int n, NeuronRecord<ExplanationRecord> r, int column) in group)
                {
                    var e = new LinearExplanation(column, [.. r.Result.Terms.Select(t => new ExplanationTerm(t.Concept, -1, t.Weight))], r.Result.Bias, r.Result.ValCorrelation);
                    SimulationScore s;
                    try
                    {
                        s = Scorer.Score(new LinearSimulator(e, concepts, "linear"), activations, column, split);
                    }
                    catch (ArgumentException ex)
                    {
                        throw new AtlasFormatException(LinearExplanationsMethod.Instance.PathOf(atlas, layer.Name, n), ex.Message, $"re-run `unravel explain` on neuron {n}");
                    }
                    scores[n].Add(new ScoreRecord("explain", $"linear ({group.Key})", NullIfNaN(s.TestCorrelation), NullIfNaN(s.ValCorrelation),
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

        var results = neurons.Where(n => scores[n].Count > 0).Select(n => (n, new ScoresRecord([.. scores[n]]))).ToList();
        var options = new JsonObject { ["seed"] = seed, ["split"] = "70/10/20", ["methods"] = "explain, concepts" };
        ScoresMethod.Instance.Write(atlas, layer.Name, Provenance.Of(ScoresMethod.Instance.Name, atlas, seed, options), results);
        progress?.Report(StageProgress.After("score", neurons.Length, neurons.Length, clock.Elapsed));
        return new ScoreStageResult(layer, splitRecord, results, clock.Elapsed);
    }

    private static double? NullIfNaN(double v) => double.IsFinite(v) ? v : null;
}
