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
            NeuronRecord<ExplanationRecord> stored = LinearExplanationsMethod.Instance.Read(session.Atlas, "layer3", Neurons[t])!;
            Assert.Equal(run.Neurons[t].Record.Formula, stored.Result.Formula);
            Assert.Equal(e.Terms.Select(x => (x.Concept, x.Weight)), stored.Result.Terms.Select(x => (x.Concept, x.Weight)));
            Assert.Equal(e.Bias, stored.Result.Bias);
            Assert.Equal(e.ValCorrelation, stored.Result.ValCorrelation);
            SimulationScore s = Scorer.Score(new LinearSimulator(e, concepts), activations, t, split);
            Assert.Equal(s.TestCorrelation, stored.Result.TestCorrelation);
            Assert.Equal(Neurons[t], stored.Neuron);
            Assert.Equal("explain", stored.Provenance.Method);
            Assert.Equal("labels", stored.Result.ConceptSet);
        }

        ScoreStageResult scored = new ScoreStage().Run(new ScoreRequest(AtlasSession.Open(fixture.Atlas), "layer3", Neurons));
        foreach ((int neuron, ScoresRecord scores) in scored.Neurons)
        {
            ScoreRecord s = Assert.Single(scores.Scores, x => x.Method == "explain");
            double stored = LinearExplanationsMethod.Instance.Read(session.Atlas, "layer3", neuron)!.Result.TestCorrelation;
            Assert.Equal(stored, s.TestCorrelation!.Value, 12);
            Assert.Equal(8, s.Split.Test);
        }
        using AtlasDatabase db = AtlasDatabase.Open(session.Atlas);
        Assert.Equal(Neurons.Length, Convert.ToInt32(db.Query("SELECT COUNT(*) FROM scores WHERE layer = 'layer3' AND method = 'explain'").Rows[0][0]));
        Assert.Equal(Neurons.Length, Convert.ToInt32(db.Query("SELECT COUNT(*) FROM neurons WHERE layer = 'layer3' AND score_explain IS NOT NULL").Rows[0][0]));
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
        var error = new StringWriter();
        TextWriter saved = Console.Out;
        Console.SetOut(TextWriter.Null);
        int code;
        try
        {
            code = await CliRunner.InvokeAsync(CliCommands.Create(), args, error);
        }
        finally
        {
            Console.SetOut(saved);
        }
        string text = error.ToString();
        Assert.True(code == ExitCodes.UsageError, $"exit code {code}:\n{text}");
        Assert.StartsWith("error: ", text);
        Assert.Contains(expected, text);
        Assert.DoesNotContain("   at ", text);
    }
}
