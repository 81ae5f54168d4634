// Five things a new user hit before the application layer existed, each re-enacted end to end:
//   1. an HF GPT-2 folder of a non-standard size, collected without --arch, re-opens for concepts and the report;
//   2. a TransformerLens layer name that collect accepted also works for concepts, pure's --lower and neurons;
//   3. a GPT-2 whose vocabulary is smaller than the tokenizer's is a user error naming the token id, not a crash;
//   4. a weights file Unravel wrote (or shipped) runs without --arch, and a shipped name works for `run`;
//   5. class names come from the model card, never from the data file's name.

using System.Text.Json.Nodes;
using Unravel.Atlas.Report;
using Unravel.Models.Text;
using Unravel.Nn;
using Unravel.IO;

namespace Unravel.Cli.Tests;

public sealed class BreakageTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    /// <summary>A GPT-2 unlike every preset (1 layer, width 8), saved as a Hugging Face folder.</summary>
    private string TinyGpt2Folder(string name, int vocab = 50257)
    {
        string folder = Path.Combine(fixture.Dir, name);
        if (!Directory.Exists(folder)) new Gpt2(WeightSource.Initialize(5), new Gpt2Config(vocab, 16, 1, 2, 8)).Save(folder);
        return folder;
    }

    private string CollectText(string model, string layers, string name)
    {
        string atlas = Path.Combine(fixture.Dir, name);
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request(model, fixture.Text, layers, atlas, K: 4, Batch: 4, Window: 8, Force: true),
            TextWriter.Null, TextWriter.Null));
        return atlas;
    }

    [Fact]
    public void HfGpt2FolderOfAnotherSize_CollectedWithoutArch_ReopensForConceptsAndReport()
    {
        string atlas = CollectText(TinyGpt2Folder("tiny-gpt2"), "h.0.mlp.hook_post", "tiny-gpt2-atlas");
        JsonObject config = AtlasReader.Open(atlas).ModelConfig!;
        Assert.Equal(8, config["n_embd"]!.GetValue<int>());
        Assert.Equal(1, config["n_layer"]!.GetValue<int>());

        AtlasSession session = AtlasSession.Open(atlas);
        Assert.Equal(8, ((Gpt2)session.Model.Model).Config.Embd);
        Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(atlas, "h.0.mlp.hook_post", Neurons: "0,1", TopK: 4, MinSize: 1),
            TextWriter.Null, TextWriter.Null));
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Success, ReportCommand.Run(atlas, null, useModel: true, TextWriter.Null, error));
        Assert.DoesNotContain("warning", error.ToString());           // no silent fall-back to dataset indices
    }

    [Fact]
    public async Task TransformerLensName_AcceptedByCollect_WorksForConceptsAndNeurons()
    {
        string atlas = CollectText("brown-gpt2", "blocks.0.mlp.hook_post", "tl-atlas");
        Assert.Equal(["h.0.mlp.hook_post"], AtlasReader.Open(atlas).Layers.Select(l => l.Name));   // one name per thing: the checkpoint path
        Assert.Equal(ExitCodes.Success, ConceptsCommand.Run(new ConceptsCommand.Request(atlas, "blocks.0.mlp.hook_post", Neurons: "3", TopK: 4, MinSize: 1),
            TextWriter.Null, TextWriter.Null));
        Assert.True(File.Exists(Path.Combine(atlas, "methods", "concepts", "h.0.mlp.hook_post", "neuron_3.json")));
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, NeuronsCommand.Run(atlas, "blocks.0.mlp.hook_post", "concepts", ascending: false, top: 3, json: false, output));
        Assert.Contains("h.0.mlp.hook_post", output.ToString());
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(CliCommands.Create(), ["concepts", atlas, "--layer", "blocks.0.attn.hook_z"], error);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("no layer 'blocks.0.attn.hook_z'", error.ToString());
    }

    [Fact]
    public async Task Gpt2VocabularySmallerThanTokenizer_UserErrorNamingTheTokenId()
    {
        string folder = TinyGpt2Folder("tiny-gpt2-vocab100", vocab: 100);
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(CliCommands.Create(),
            ["collect", folder, "--data", fixture.Text, "--layers", "h.0.mlp.hook_post", "--window", "8", "--out", Path.Combine(fixture.Dir, "vocab-atlas")], error);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("token id", error.ToString());
        Assert.Contains("vocabulary [0, 100)", error.ToString());
        Assert.Contains("hint:", error.ToString());
        Assert.DoesNotContain("internal error", error.ToString());
    }

    [Fact]
    public void WeightsUnravelWrote_RunWithoutArch_AndShippedNameRuns()
    {
        // The shipped file: its card names the architecture.
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, RunCommand.Run(Assets.PathOf("models", "fashion-small-resnet", "model.safetensors"), fixture.Png, null, 3, false, output));
        Assert.Contains("Ankle boot", RunAll(Assets.PathOf("models", "fashion-small-resnet", "model.safetensors")));
        Assert.Equal(ExitCodes.Success, RunCommand.Run("fashion-small-resnet", fixture.Png, null, 3, false, TextWriter.Null));

        // A file written with Unravel's metadata (as `unravel train` writes it): architecture and config recorded.
        var gpt2 = new Gpt2(WeightSource.Initialize(5), new Gpt2Config(50257, 16, 1, 2, 8));
        string file = Path.Combine(fixture.Dir, "written.safetensors");
        SafeTensors.Write(file, Gpt2Checkpoint.ToHuggingFace(gpt2.StateDict()), ModelReference.Metadata("gpt2", gpt2));
        LoadedModel loaded = ModelReference.Load(file);
        Assert.Equal(new Gpt2Config(50257, 16, 1, 2, 8), ((Gpt2)loaded.Model).Config);
        Assert.Equal(ExitCodes.Success, RunCommand.Run(file, fixture.Text, null, 3, false, TextWriter.Null));
    }

    private string RunAll(string model)
    {
        var output = new StringWriter();
        RunCommand.Run(model, fixture.Png, null, 10, false, output);
        return output.ToString();
    }

    [Fact]
    public void ClassNames_FromTheModelCard_NeverFromTheDataFileName()
    {
        // Fashion-MNIST images in a folder whose name says nothing: the shipped model's card still names the classes.
        string plain = Path.Combine(fixture.Dir, "plain");
        Directory.CreateDirectory(plain);
        File.Copy(CliFixture.Images, Path.Combine(plain, "images-idx3-ubyte.gz"), overwrite: true);
        string carded = Path.Combine(fixture.Dir, "carded-atlas");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("fashion-small-resnet", Path.Combine(plain, "images-idx3-ubyte.gz"), "layer3",
            carded, K: 4, Batch: 20, Limit: 20, Force: true), TextWriter.Null, TextWriter.Null));
        Assert.Equal("Ankle boot", ReportSources.Of(AtlasSession.Open(carded), runModel: false, out _).ClassNames![9]);

        // A model without a card, on data in a folder called "fashion…": no class names are made up.
        string named = Path.Combine(fixture.Dir, "fashion-lookalike");
        Directory.CreateDirectory(named);
        File.Copy(CliFixture.Images, Path.Combine(named, "images-idx3-ubyte.gz"), overwrite: true);
        string uncarded = Path.Combine(fixture.Dir, "uncarded-atlas");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request("small-resnet", Path.Combine(named, "images-idx3-ubyte.gz"), "layer3",
            uncarded, K: 4, Batch: 20, Limit: 20, Force: true), TextWriter.Null, TextWriter.Null));
        Assert.Null(ReportSources.Of(AtlasSession.Open(uncarded), runModel: false, out _).ClassNames);
    }
}
