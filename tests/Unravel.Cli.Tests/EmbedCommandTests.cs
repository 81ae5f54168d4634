// `unravel embed` and the EmbedStage on a tiny GPT-2 text atlas collected by the test (random 2-block GPT-2 of width
// 16 over a short English text in 16-token windows): the stored records round-trip and equal what the library
// computes directly (characteristic examples, neuron embeddings, clusters and metrics), the neurons table gets the
// method's columns, the JSON has the documented fields, and user mistakes exit with code 2 and a message. A second
// embedded layer links features across layers exactly as a brute-force cosine search over the stored central embeddings
// with the per-layer thresholds; `unravel sae` on the same atlas stores weights that reproduce its reported MSE and an
// atlas of latents whose top values are the latents' maxima.

using System.CommandLine;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;
using Unravel.Interpret.Collection;
using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Interpret.Sae;
using Unravel.IO;
using Unravel.Models;
using Unravel.Models.Text;
using Unravel.Nn;
using Tensor = Unravel.Tensors.Tensor;

namespace Unravel.Cli.Tests;

public sealed class EmbedCommandTests : IDisposable
{
    private const string Layer = "h.1.mlp.hook_post";
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-embed-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A random 2-block GPT-2 (width 16) collected at both MLP layers and one residual stream.</summary>
    private string Atlas() => TinyTextAtlas.Create(_dir);

    private static async Task<(int Code, string Output, string Error)> Invoke(params string[] args)
    {
        RootCommand root = new() { EmbedCommand.Create() };
        var error = new StringWriter();
        TextWriter saved = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            int code = await CliRunner.InvokeAsync(root, args, error);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(saved);
        }
    }

    [Fact]
    public void EmbedStage_SecondLayer_LinksFeaturesAcrossLayersAsBruteForceSearch()
    {
        AtlasSession session = AtlasSession.Open(Atlas());
        EmbedStageResult first = new EmbedStage().Run(new EmbedRequest(session, "h.0.mlp.hook_post") { Examples = 12, Ratio = 0.5, Shown = 2, Importance = false });
        EmbedStageResult second = new EmbedStage().Run(new EmbedRequest(session, Layer) { Examples = 12, Ratio = 0.5, Shown = 2, Importance = false });
        Assert.Equal(1, first.SimilarSearch.Layers);
        Assert.Equal(2, second.SimilarSearch.Layers);

        var features = new List<(string Layer, int Block, int Neuron, int Cluster, float[] E)>();
        foreach ((string name, int block) in new[] { ("h.0.mlp.hook_post", 0), (Layer, 1) })
            foreach (int n in EmbedMethod.Instance.Analysed(session.Atlas, name))
                foreach (EmbedClusterRecord c in EmbedMethod.Instance.Read(session.Atlas, name, n)!.Result.Clusters)
                    features.Add((name, block, n, c.Id, c.Embedding!));
        Assert.Equal(features.Count, second.SimilarSearch.Features);
        Assert.Equal((long)features.Count * features.Count, second.SimilarSearch.Pairs);
        static double Cos(float[] a, float[] b)
        {
            double ab = 0, aa = 0, bb = 0;
            for (int i = 0; i < a.Length; i++) (ab, aa, bb) = (ab + (double)a[i] * b[i], aa + (double)a[i] * a[i], bb + (double)b[i] * b[i]);
            return ab / Math.Sqrt(aa * bb);
        }
        double[] thresholds = [0.5, 0.2];   // the spec's layer 0 and layer 1 thresholds
        int across = 0;
        foreach (var f in features)
        {
            var want = features.Where(g => !(g.Layer == f.Layer && g.Neuron == f.Neuron)).Select(g => (g, s: Cos(f.E, g.E)))
                .Where(x => x.s >= thresholds[f.Block]).OrderByDescending(x => x.s).Take(5).ToList();
            EmbedSimilarRecord[] got = EmbedMethod.Instance.Read(session.Atlas, f.Layer, f.Neuron)!.Result.Clusters[f.Cluster].Similar;
            Assert.Equal(want.Select(x => (x.g.Layer, x.g.Neuron, x.g.Cluster)), got.Select(x => (x.Layer, x.Neuron, x.Cluster)));
            for (int i = 0; i < got.Length; i++) Assert.Equal(want[i].s, got[i].Similarity, 4);
            across += got.Count(x => x.Layer != f.Layer);
        }
        Assert.True(across > 0, "no feature links to the other layer");
    }

    [Fact]
    public void Sae_StoresWeightsThatReproduceItsMse_AndAnAtlasOfItsLatents()
    {
        string atlas = Atlas();
        string outDir = Path.Combine(_dir, "sae-ne");
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, SaeCommand.Run(new SaeCommand.Request(atlas, Layer, NeLoss: true, Latents: 32, Steps: 220, Out: outDir, Json: true),
            output, TextWriter.Null));
        using JsonDocument doc = JsonDocument.Parse(output.ToString());
        JsonElement root = doc.RootElement;
        foreach (string field in new[] { "mse", "l1", "l0_share", "dead_share", "loss_increase", "max_dist_median", "mean_dist_median", "weights", "latent_atlas" })
            Assert.True(root.TryGetProperty(field, out _), field);
        Assert.Equal(1e-4, root.GetProperty("ne_weight").GetDouble(), 6);

        // Independent: the saved weights re-run on the evaluation windows (the last 20 %) give the reported MSE.
        SafeTensors file = SafeTensors.Read(Path.Combine(outDir, "sae.safetensors"));
        Assert.Contains("\"ne_loss\":true", file.Metadata["provenance"]);
        var sae = new SparseAutoencoder(WeightSource.FromTensors(file.Names.ToDictionary(n => n, file.GetTensor), "test"), 16, 32);
        AtlasSession session = AtlasSession.Open(atlas);
        RootModule model = session.Model.Model;
        var mlpModel = (ITransformerMlpModel)model;
        TransformerMlp mlp = mlpModel.MlpLayer(1);
        var data = (TokenWindowDataset)session.Dataset;
        int windows = session.Atlas.Inputs, first = windows * 4 / 5, skip = session.Atlas.Dataset?.Bos == true ? 1 : 0, t = data.Length;
        double sq = 0;
        long count = 0;
        float latentMax = float.NegativeInfinity;
        for (int w = 0; w < windows; w++)
        {
            int[] tokens = data.Window(w).ToArray();
            Tensor x = model.RunWithCache(() => mlpModel.ForwardThroughLayer(tokens, 1, t, 1), mlp.InputHook)[mlp.InputHook].Reshape(t, 16);
            Tensor z = sae.Encode(x);
            for (int p = skip; p < t; p++) latentMax = Math.Max(latentMax, z.Data[p * 32 + 0]);
            if (w < first) continue;
            Tensor y = sae.Decode(z);
            for (int i = skip * 16; i < t * 16; i++, count++) sq += Math.Pow(y.Data[i] - x.Data[i], 2);
        }
        Assert.Equal(sq / count, root.GetProperty("mse").GetDouble(), 5);

        AtlasReader latents = AtlasReader.Open(root.GetProperty("latent_atlas").GetString()!);
        AtlasLayer layer = latents.Layer("h.1.mlp.sae");
        Assert.Equal(32, layer.Neurons);
        Assert.Equal(latentMax, latents.TopInputs("h.1.mlp.sae", 0).Values[0], 4);
        Assert.True(latents.Has("h.1.mlp.sae", "token_activations"));
    }

    [Theory]
    [InlineData("--latents 0", "--latents must be at least 1")]
    [InlineData("--steps 0", "--steps must be at least 1")]
    [InlineData("--layer h.0.hook_resid_post", "is not a hook of a transformer MLP")]
    public async Task Sae_BadInput_ExitCode2_MessageNamesIt(string options, string expected)
    {
        string[] args = ["sae", Atlas(), .. (options.StartsWith("--layer", StringComparison.Ordinal) ? options : $"--layer {Layer} {options}").Split(' ')];
        (int code, string errorText) = await QuietCli.InvokeAsync(args);
        Assert.True(code == ExitCodes.UsageError, $"exit code {code}:\n{errorText}");
        Assert.Contains(expected, errorText);
        Assert.DoesNotContain("   at ", errorText);
    }

    [Fact]
    public void EmbedStage_Records_RoundTripAndEqualTheLibrary()
    {
        AtlasSession session = AtlasSession.Open(Atlas());
        int[] neurons = [0, 3, 5, 9, 17, 40];
        EmbedStageResult run = new EmbedStage().Run(new EmbedRequest(session, "blocks.1.mlp.hook_post", neurons) { Examples = 12, Ratio = 0.5, Shown = 4 });
        Assert.Equal(Layer, run.Layer.Name);
        Assert.Equal(1, run.Block);
        Assert.Equal(session.Atlas.Inputs, run.Windows);
        Assert.Equal(neurons.Length, run.Neurons.Count + run.TooFewExamples.Length);
        Assert.NotEmpty(run.Neurons);

        // The same steps through the library directly.
        RootModule model = session.Model.Model;
        var mlpModel = (ITransformerMlpModel)model;
        var data = (TokenWindowDataset)session.Dataset;
        TransformerMlp mlp = mlpModel.MlpLayer(1);
        var accumulator = new CharacteristicExamples(mlp.Neurons, new CharacteristicExampleOptions { Count = 12, Ratio = 0.5f });
        for (int w = 0; w < run.Windows; w++)
        {
            int[] tokens = data.Window(w).ToArray();
            accumulator.Update(model.RunWithCache(() => mlpModel.ForwardThroughLayer(tokens, 1, data.Length, 1), mlp.ActivationHook)[mlp.ActivationHook], w);
        }
        CharacteristicExampleSet examples = accumulator.ToResult();
        LayerEmbeddings embeddings = NeuronEmbedder.Compute(model, data, 1, examples, EmbeddingVariant.TransformerLens, neurons);
        LayerEmbeddingResult expected = NeuronEmbeddingAnalysis.Run(embeddings, new NeuronEmbeddingOptions());
        Assert.Equal(expected.TooFewExamples.Order(), run.TooFewExamples.Order());
        Assert.Equal(expected.Neurons.Select(n => n.Neuron).Order(), run.Neurons.Select(n => n.Neuron).Order());

        using var db = new SqliteConnection($"Data Source={Path.Combine(session.Root, "atlas.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        foreach (NeuronEmbeddingResult want in expected.Neurons)
        {
            EmbedNeuron got = run.Neurons.Single(n => n.Neuron == want.Neuron);
            NeuronRecord<EmbedRecord> read = EmbedMethod.Instance.Read(session.Atlas, Layer, want.Neuron)!;
            Assert.Equal("embed", read.Provenance.Method);
            Assert.Equal("tl", read.Result.Variant);
            Assert.Equal(12, read.Provenance.Options["examples"]!.GetValue<int>());
            EmbedRecord r = read.Result;
            Assert.Equal(want.Examples.Select(e => (e.Input, e.Position)), r.Examples.Select(e => (e.Input, e.Position)));
            Assert.Equal(want.Examples.Select(e => e.Activation), r.Examples.Select(e => e.Activation));
            Assert.Equal(want.Clusters.Labels, r.Examples.Select(e => e.Cluster));
            Assert.Equal(want.Clusters.Sizes, r.Clusters.Select(c => c.Size));
            Assert.Equal(want.Clusters.Central, r.Clusters.Select(c => c.Central));
            Assert.Equal(want.Clusters.Metrics.MaxDist, r.MaxDist, 12);
            Assert.Equal(want.Clusters.Metrics.MeanDist, r.MeanDist, 12);
            Assert.Equal(want.Clusters.Metrics.Clusters, r.Clusters.Length);
            Assert.Equal(want.Raw!.Metrics.MeanDist, r.Raw.MeanDist, 12);
            if (double.IsFinite(want.Clusters.Metrics.Intra)) Assert.Equal(want.Clusters.Metrics.Intra, r.Intra!.Value, 12);
            else Assert.Null(r.Intra);
            Assert.Equal(want.Clusters.Dendrogram.Merges.Select(m => m.Height), r.Linkage.Select(row => row[2]));
            Assert.Equal(got.Record.Linkage.Length, r.Linkage.Length);
            foreach (EmbedClusterRecord c in r.Clusters)
            {
                // The first window is the central example; its key token carries the example's activation.
                EmbedWindowRecord w = c.Windows[0];
                EmbedExampleRecord central = r.Examples[c.Central];
                Assert.Equal(central.Input, w.Input);
                Assert.Equal(central.Activation, w.Activations[w.Key], 4);
                Assert.Equal(w.Tokens.Length, c.Importance!.Length);
                Assert.InRange(c.Windows.Length, 1, 4);
            }
            using SqliteCommand cmd = db.CreateCommand();
            cmd.CommandText = $"SELECT clusters, max_dist FROM neurons WHERE layer = '{Layer}' AND idx = {want.Neuron}";
            using SqliteDataReader row = cmd.ExecuteReader();
            Assert.True(row.Read());
            Assert.Equal(r.Clusters.Length, row.GetInt32(0));
            Assert.Equal(r.MaxDist, row.GetDouble(1), 12);
        }
        Assert.Equal(expected.Summary.MeanDist.Median, run.Summary.MeanDist.Median, 12);
        Assert.Equal(expected.Summary.MultiClusterShare, run.Summary.MultiClusterShare, 12);
    }

    [Fact]
    public async Task Embed_Json_HasTheDocumentedFields_AndMistakesExitWithCode2()
    {
        string atlas = Atlas();
        (int code, string output, string error) = await Invoke("embed", atlas, "--layer", Layer, "--neurons", "1,2,3", "--variant", "hf", "--examples", "10", "--json");
        Assert.True(code == ExitCodes.Success, error);
        using JsonDocument doc = JsonDocument.Parse(output);
        JsonElement root = doc.RootElement;
        Assert.Equal(Layer, root.GetProperty("layer").GetString());
        Assert.Equal("hf", root.GetProperty("variant").GetString());
        Assert.Equal("first", root.GetProperty("selection").GetString());
        Assert.Equal("average", root.GetProperty("linkage").GetString());
        foreach (string key in new[] { "max_dist", "mean_dist", "intra", "inter" })
            Assert.True(root.GetProperty("summary").GetProperty(key).TryGetProperty("median", out _), key);
        int listed = root.GetProperty("neurons").GetArrayLength() + root.GetProperty("too_few_examples").GetArrayLength();
        Assert.Equal(3, listed);
        foreach (JsonElement n in root.GetProperty("neurons").EnumerateArray())
        {
            int examples = n.GetProperty("examples").GetInt32();
            int members = 0;
            foreach (JsonElement c in n.GetProperty("clusters").EnumerateArray())
            {
                Assert.Equal(c.GetProperty("size").GetInt32(), c.GetProperty("examples").GetArrayLength());
                members += c.GetProperty("size").GetInt32();
                Assert.True(c.GetProperty("central").TryGetProperty("position", out _));
            }
            Assert.Equal(examples, members);
            Assert.True(File.Exists(n.GetProperty("file").GetString()));
        }

        (code, _, error) = await Invoke("embed", atlas, "--layer", "h.0.hook_resid_post", "--neurons", "0");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("not the activation of a transformer MLP", error, StringComparison.Ordinal);
        (code, _, error) = await Invoke("embed", atlas, "--layer", Layer, "--variant", "xyz");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--variant", error, StringComparison.Ordinal);
        (code, _, error) = await Invoke("embed", atlas, "--layer", "h.1.hook_resid_post");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("h.1.hook_resid_post", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
