// `unravel run MODEL --input FILE`: top classes of an image model, or top next tokens of a language model.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.IO.Images;
using Unravel.IO.Text;
using Unravel.Models.Text;
using Unravel.Models.Vision;

namespace Unravel.Cli;

internal static class RunCommand
{
    private static readonly ModelReferenceOptions Model = new();
    private static readonly OutputOptions Output = new();

    private static readonly Option<string> InputOption = new("--input", "-i")
    {
        Description = "An image (PNG/JPEG) for an image model, a UTF-8 text file for a language model.",
        Required = true,
    };

    private static readonly Option<int> TopOption = new("--top") { Description = "How many predictions to print.", DefaultValueFactory = _ => 5 };

    public static Command Create()
    {
        Command command = new("run", "Run a model on one input: top-k classes or next tokens.") { Model.Model, InputOption, Model.Arch, TopOption, Output.Json };
        command.SetAction(parse => Run(Model.ModelOf(parse), parse.GetValue(InputOption)!, Model.ArchOf(parse),
            parse.GetValue(TopOption), Output.JsonOf(parse), Console.Out));
        return command;
    }

    internal sealed record Prediction(int Rank, int Id, string Label, float Probability);

    internal static int Run(string model, string input, string? arch, int top, bool json, TextWriter output)
    {
        if (top < 1) throw new UnravelUserException($"--top must be at least 1 (got {top}).");
        if (!File.Exists(input)) throw new UnravelUserException($"{input}: no such file.", "pass --input PATH to an image or a text file");
        LoadedModel loaded = ModelReference.Load(model, arch);
        (float[] probs, Func<int, string> label, string kind) = loaded.Model switch
        {
            IImageClassifier c => Classify(c, input),
            ILanguageModel lm => NextToken(lm, input),
            _ => throw new UnravelUserException($"run: {loaded.Model.GetType().Name} is neither an image classifier nor a language model."),
        };
        Prediction[] best = probs.Select((p, i) => (p, i)).OrderByDescending(t => t.p).ThenBy(t => t.i).Take(top)
            .Select((t, r) => new Prediction(r + 1, t.i, label(t.i), t.p)).ToArray();

        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                tool_version = AtlasFormat.ToolVersion, architecture = loaded.Architecture, source = loaded.Source, sha256 = loaded.Sha256,
                random_weights = loaded.RandomWeights, input = Path.GetFullPath(input), kind,
                predictions = best.Select(p => new { rank = p.Rank, id = p.Id, label = p.Label, probability = p.Probability }),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        output.WriteLine($"{loaded.Architecture} ({loaded.Source}) on {input}: top {best.Length} {kind}");
        if (loaded.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful predictions");
        var table = new TextTable("rank", "id", kind == "classes" ? "class" : "token", "probability");
        foreach (Prediction p in best)
            table.Add(p.Rank.ToString(CultureInfo.InvariantCulture), p.Id.ToString(CultureInfo.InvariantCulture), p.Label,
                p.Probability.ToString("0.0000", CultureInfo.InvariantCulture));
        output.Write(table);
        return ExitCodes.Success;
    }

    private static (float[], Func<int, string>, string) Classify(IImageClassifier model, string path)
    {
        Image image = Image.Load(path);
        (int channels, int height, int width) = model.InputSize;
        Tensor x = channels == 3 && height >= 64
            ? ImagePreprocessing.ImageNet.Apply(image)                                                       // [3, 224, 224]
            : ImageTransforms.ToTensor(ImageTransforms.Resize(channels == 1 ? image.ToGray() : image.ToRgb(), width, height)); // [C, H, W]
        Tensor logits = model.Forward(x.Reshape(1, x.Dim(0), x.Dim(1), x.Dim(2)));                           // [1, classes]
        float[] probs = Ops.Softmax(logits).ToArray();
        IReadOnlyList<string>? names = model.ClassNames ?? (model.Classes == 1000 ? Assets.ImageNetClasses() : null);
        return (probs, i => names is not null && i < names.Count ? names[i] : $"class {i}", "classes");
    }

    private static (float[], Func<int, string>, string) NextToken(ILanguageModel model, string path)
    {
        Gpt2Tokenizer tokenizer = Assets.Tokenizer();
        if (model.VocabSize < tokenizer.VocabSize)
            throw new UnravelUserException($"the model's vocabulary has {model.VocabSize} entries, fewer than the GPT-2 tokenizer's {tokenizer.VocabSize}.",
                "run needs a model trained with the GPT-2 tokenizer");
        int[] tokens = tokenizer.Encode(File.ReadAllText(path));
        if (tokens.Length == 0) throw new UnravelUserException($"{path}: the text is empty.", "give the model a prompt to continue");
        if (tokens.Length > model.Context) tokens = tokens[^model.Context..];
        Tensor logits = model.Forward(tokens, 1, tokens.Length);                                             // [1, T, V]
        int v = logits.Dim(2);
        Tensor last = Tensor.FromSpan(logits.Data.Slice((tokens.Length - 1) * v, v), [v]);                   // [V]
        float[] probs = Ops.Softmax(last).ToArray();
        return (probs, i => i < tokenizer.VocabSize ? JsonSerializer.Serialize(tokenizer.TokenText(i)) : $"<{i}>", "next tokens");
    }
}
