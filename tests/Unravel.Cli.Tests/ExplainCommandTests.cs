// The explain and score stages and commands on a real atlas (the shipped Fashion-MNIST model over 40 test images):
// the stored record round-trips and its scores equal the library's (LinearExplainer and Scorer run directly on the
// atlas's pooled vectors and the IDX labels), the score stage reproduces the stored test correlation on the same
// seeded split, the JSON has the documented fields, and bad input ends with exit code 2 and a message naming it.

using System.Text.Json;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;
using Unravel.Interpret.LinearExplanations;
using Unravel.Interpret.Scoring;
using Unravel.IO;
using Tensor = Unravel.Tensors.Tensor;

namespace Unravel.Cli.Tests;

public sealed class ExplainCommandTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    private static readonly int[] Neurons = [0, 3, 7, 19, 40];

    [Fact]
    public void Stage_Labels_RecordRoundTripsAndScoresEqualLibrary()
    {
        var session = AtlasSession.Open(fixture.Atlas);
        ExplainStageResult run = new ExplainStage().Run(new ExplainRequest(session, "layer3", Neurons));

        // The library on the same data, built independently of the stage: pooled means from the atlas, labels from the IDX file.
        (Tensor pooled, long[] inputs) = session.Atlas.Pooled("layer3", "mean");
        Assert.Equal(40, inputs.Length);
        int c = pooled.Shape[1];
        var act = new float[40 * Neurons.Length];
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < Neurons.Length; j++) act[i * Neurons.Length + j] = pooled.Data[i * c + Neurons[j]];
        Tensor activations = Tensor.FromArray(act, 40, Neurons.Length);
        int[] labels = [.. Idx.ReadLabels(Assets.PathOf("data", "fashion-mnist", "t10k-labels-idx1-ubyte.gz")).Take(40)];
        (string[] classes, Superclass[] supers) = LabelConcepts.ReadTable(Assets.PathOf("concepts", "fashion-mnist-superclasses.json"));
        ConceptMatrix concepts = LabelConcepts.Build(labels, classes, supers, "test");
        DataSplit split = DataSplit.Create(40, session.Atlas.Seed);
        LinearExplanationResult expected = LinearExplainer.Run(concepts, activations, null, split, new LinearExplanationOptions());

        Assert.Equal(Neurons, run.Neurons.Select(n => n.Neuron));
        Assert.Equal(new DataSplitRecord(split.Seed, 40, 1, 28, 4, 8), run.Split);
        for (int t = 0; t < Neurons.Length; t++)
        {
            LinearExplanation e = expected.Neurons[t];
            NeuronRecord<ExplanationsRecord> file = LinearExplanationsMethod.Instance.Read(session.Atlas, "layer3", Neurons[t])!;
            ExplanationRecord stored = file.Result.Of("labels")!;
            Assert.Equal(run.Neurons[t].Record.Formula, stored.Formula);
            Assert.Equal(e.Terms.Select(x => (x.Concept, x.Weight)), stored.Terms.Select(x => (x.Concept, x.Weight)));
            Assert.Equal(e.Bias, stored.Bias);
            Assert.Equal(e.ValCorrelation, stored.ValCorrelation);
            SimulationScore s = Scorer.Score(new LinearSimulator(e, concepts), activations, t, split);
            Assert.Equal(s.TestCorrelation, stored.TestCorrelation);
            Assert.Equal(Neurons[t], file.Neuron);
            Assert.Equal("explain", file.Provenance.Method);
        }

        ScoreStageResult scored = new ScoreStage().Run(new ScoreRequest(AtlasSession.Open(fixture.Atlas), "layer3", Neurons));
        foreach ((int neuron, ScoresRecord scores) in scored.Neurons)
        {
            ScoreRecord s = Assert.Single(scores.Scores, x => x.Method == "explain:labels");
            double stored = LinearExplanationsMethod.Instance.Read(session.Atlas, "layer3", neuron)!.Result.Of("labels")!.TestCorrelation;
            Assert.Equal(stored, s.TestCorrelation!.Value, 12);
            Assert.Equal(8, s.Split.Test);
        }
        using AtlasDatabase db = AtlasDatabase.Open(session.Atlas);
        Assert.Equal(Neurons.Length, Convert.ToInt32(db.Query("SELECT COUNT(*) FROM scores WHERE layer = 'layer3' AND method = 'explain:labels' AND neuron IN (0, 3, 7, 19, 40)").Rows[0][0]));
        Assert.Equal(Neurons.Length, Convert.ToInt32(db.Query("SELECT COUNT(*) FROM neurons WHERE layer = 'layer3' AND score_explain IS NOT NULL AND idx IN (0, 3, 7, 19, 40)").Rows[0][0]));
    }

    [Fact]
    public void Stage_LabelsAndModelSets_CoexistPerNeuronAndAreScoredEach()
    {
        int[] neurons = [11, 12];
        var session = AtlasSession.Open(fixture.Atlas);
        ExplainStageResult labels = new ExplainStage().Run(new ExplainRequest(session, "layer3", neurons));
        ExplainStageResult model = new ExplainStage().Run(new ExplainRequest(session, "layer3", neurons) { Concepts = "model:fashion-judge-cnn" });
        ExplainStageResult again = new ExplainStage().Run(new ExplainRequest(session, "layer3", neurons));   // replaces only the labels entry
        for (int t = 0; t < neurons.Length; t++)
        {
            ExplanationsRecord stored = LinearExplanationsMethod.Instance.Read(session.Atlas, "layer3", neurons[t])!.Result;
            Assert.Equal(["labels", "model:fashion-judge-cnn"], stored.Explanations.Select(e => e.ConceptSet));
            Assert.Equal(labels.Neurons[t].Record.Formula, stored.Of("labels")!.Formula);
            Assert.Equal(again.Neurons[t].Record.Formula, stored.Of("labels")!.Formula);
            Assert.Equal(model.Neurons[t].Record.Formula, stored.Of("model:fashion-judge-cnn")!.Formula);
            Assert.Equal(model.Neurons[t].Record.TestCorrelation, stored.Of("model:fashion-judge-cnn")!.TestCorrelation);
            Assert.Equal(2, again.Neurons[t].All.Explanations.Length);
            string card = ((IAtlasMethod)LinearExplanationsMethod.Instance).Card(session.Atlas, "layer3", neurons[t])!;
            Assert.Contains("model:fashion-judge-cnn", card);
            Assert.Contains("test split, labels", card);
        }

        ScoreStageResult scored = new ScoreStage().Run(new ScoreRequest(AtlasSession.Open(fixture.Atlas), "layer3", neurons));
        for (int t = 0; t < neurons.Length; t++)
        {
            ScoresRecord s = scored.Neurons[t].Scores;
            Assert.Equal(labels.Neurons[t].Record.TestCorrelation, s.Scores.Single(x => x.Method == "explain:labels").TestCorrelation!.Value, 12);
            Assert.Equal(model.Neurons[t].Record.TestCorrelation, s.Scores.Single(x => x.Method == "explain:model:fashion-judge-cnn").TestCorrelation!.Value, 12);
        }
        using AtlasDatabase db = AtlasDatabase.Open(session.Atlas);
        string where = "layer = 'layer3' AND idx IN (11, 12)";
        Assert.Equal(2, Convert.ToInt32(db.Query($"SELECT COUNT(*) FROM neurons WHERE {where} AND le_test_r IS NOT NULL AND le_model_test_r IS NOT NULL " +
            "AND score_explain IS NOT NULL AND score_explain_model IS NOT NULL").Rows[0][0]));
        Assert.Equal(2, Convert.ToInt32(db.Query("SELECT COUNT(DISTINCT concept_set) FROM explanation_terms WHERE layer = 'layer3' AND neuron = 11").Rows[0][0]));

        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, ExplainCommand.Run(new ExplainCommand.Request(fixture.Atlas, "layer3", Neurons: "11", Json: true), output, TextWriter.Null));
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        JsonElement[] stored2 = [.. doc.RootElement.GetProperty("neurons")[0].GetProperty("stored").EnumerateArray()];
        Assert.Equal(["labels", "model:fashion-judge-cnn"], stored2.Select(e => e.GetProperty("concept_set").GetString()));
    }

    [Fact]
    public void Stage_Pure_ScoreEqualsNaiveCircuitsRoutedByHand()
    {
        int[] neurons = [20, 21];
        var session = AtlasSession.Open(fixture.Atlas);
        new PureStage().Run(new PureRequest(session, "layer3", neurons) { References = 20, Restarts = 2 });
        ScoreStageResult scored = new ScoreStage().Run(new ScoreRequest(AtlasSession.Open(fixture.Atlas), "layer3", neurons));

        // Reference: every input's circuit by the slow one-pass-per-pair path, nearest centroid by hand, silent apart,
        // each part's mean over the train inputs, Pearson r on the test inputs.
        var model = session.Model.Model;
        var data = (Unravel.Interpret.Collection.ImageDataset)session.Dataset;
        (Tensor pooled, _) = session.Atlas.Pooled("layer3", "mean");
        int c = pooled.Shape[1];
        DataSplit split = DataSplit.Create(40, session.Atlas.Seed);
        for (int t = 0; t < neurons.Length; t++)
        {
            PureRecord pure = PureMethod.Instance.Read(session.Atlas, "layer3", neurons[t])!.Result;
            int k = pure.VirtualNeurons.Length;
            int[] part = new int[40];
            for (int row = 0; row < 40; row++)
            {
                (float[] circuit, _) = Unravel.Interpret.Pure.Circuits.ComputeNaive(model, data, "layer3", pure.LowerLayer,
                    new Unravel.Interpret.Pure.CircuitRequest(neurons[t], row), Unravel.Interpret.Pure.NaiveBackward.Input);
                part[row] = circuit.All(v => Math.Abs(v) < 1e-12) ? k : Enumerable.Range(0, k)
                    .OrderBy(j => circuit.Select((v, f) => (v - (double)pure.VirtualNeurons[j].Centroid[f]) * (v - pure.VirtualNeurons[j].Centroid[f])).Sum()).First();
            }
            double Act(int row) => pooled.Data[row * c + neurons[t]];
            double[] value = [.. Enumerable.Range(0, k + 1).Select(p => split.Train.Where(r => part[r] == p).Select(Act).DefaultIfEmpty(0).Average())];
            double[] x = [.. split.Test.Select(r => value[part[r]])], y = [.. split.Test.Select(Act)];
            double mx = x.Average(), my = y.Average();
            double cov = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my));
            double r = cov / Math.Sqrt(x.Sum(v => (v - mx) * (v - mx)) * y.Sum(v => (v - my) * (v - my)));
            ScoreRecord s = scored.Neurons.Single(n => n.Neuron == neurons[t]).Scores.Scores.Single(x => x.Method == "pure");
            Assert.Equal(double.IsFinite(r) ? r : 0, s.TestCorrelation ?? 0, 6);
            Assert.Equal(8, s.Split.Test);
            Assert.Contains($"nearest of {k} circuit centroids", s.Simulator);
        }
        using AtlasDatabase db = AtlasDatabase.Open(session.Atlas);
        Assert.Equal(2, Convert.ToInt32(db.Query("SELECT COUNT(*) FROM scores WHERE layer = 'layer3' AND method = 'pure' AND neuron IN (20, 21)").Rows[0][0]));
    }

    [Fact]
    public void Json_HasTheDocumentedFields()
    {
        var output = new StringWriter();
        int code = ExplainCommand.Run(new ExplainCommand.Request(fixture.Atlas, "layer3", Neurons: "5,6", Json: true), output, TextWriter.Null);
        Assert.Equal(ExitCodes.Success, code);
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        JsonElement root = doc.RootElement;
        Assert.Equal("labels", root.GetProperty("concepts").GetProperty("kind").GetString());
        Assert.Equal(28, root.GetProperty("split").GetProperty("train").GetInt32());
        JsonElement[] neurons = [.. root.GetProperty("neurons").EnumerateArray()];
        Assert.Equal([5, 6], neurons.Select(n => n.GetProperty("neuron").GetInt32()));
        foreach (JsonElement n in neurons)
        {
            foreach (string field in new[] { "formula", "bias", "test_correlation", "val_correlation", "baseline_correlation", "file" })
                Assert.True(n.TryGetProperty(field, out _), field);
            foreach (JsonElement term in n.GetProperty("terms").EnumerateArray())
                Assert.True(term.TryGetProperty("concept", out _) && term.TryGetProperty("weight", out _));
            Assert.True(File.Exists(n.GetProperty("file").GetString()));
        }
    }

    [Theory]
    [InlineData("explain {atlas} --layer layer3 --concepts colours", "unknown concept set 'colours'")]
    [InlineData("explain {atlas} --layer layer9", "no layer 'layer9'")]
    [InlineData("explain {atlas} --layer layer3 --neurons 64", "has 64 neurons")]
    [InlineData("explain {atlas} --layer layer3 --concepts tokens", "--concepts tokens needs a text atlas")]
    [InlineData("explain {atlas} --layer layer3 --concepts model:nope-model", "'nope-model'")]
    [InlineData("score {atlas} --layer layer2", "no stored explanation")]
    [InlineData("score {atlas} --layer layer9", "no layer 'layer9'")]
    public async Task BadInput_ExitCode2_MessageNamesIt(string command, string expected)
    {
        string[] args = command.Replace("{atlas}", fixture.Atlas).Split(' ');
        (int code, string text) = await QuietCli.InvokeAsync(args);
        Assert.True(code == ExitCodes.UsageError, $"exit code {code}:\n{text}");
        Assert.StartsWith("error: ", text);
        Assert.Contains(expected, text);
        Assert.DoesNotContain("   at ", text);
    }
}
