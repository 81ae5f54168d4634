// `unravel run MODEL --input FILE|FOLDER|IDX`: top classes of an image model, or top next tokens of a language model,
// for one input or, batched, for an image folder (class subfolders give labels, in torchvision ImageFolder order), an
// IDX images file (with its labels file), or a folder of text files. With labels it prints accuracy, top-5 accuracy and
// the confusion matrix; --json writes JSON lines (one per input, then a summary).

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Interpret.Collection;
using Unravel.IO;
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
        Description = "An image (PNG/JPEG) or UTF-8 text file; a folder of images (class subfolders give labels) or of .txt files; "
            + "or an IDX images file (e.g. t10k-images-idx3-ubyte.gz, labels from the sibling labels file or --labels).",
        Required = true,
    };

    private static readonly Option<int> TopOption = new("--top") { Description = "How many predictions to print.", DefaultValueFactory = _ => 5 };
    private static readonly Option<string?> LabelsOption = new("--labels") { Description = "IDX labels file for an IDX --input (default: the sibling …labels-idx1… file)." };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Inputs per forward pass.", DefaultValueFactory = _ => 64 };
    private static readonly Option<int?> LimitOption = new("--limit") { Description = "Use only the first N inputs of a folder or IDX file." };
    private static readonly Option<int?> ResizeOption = new("--resize") { Description = "Images: resize the shorter side to N (default: 256 for 224-pixel models, else the model's input size)." };
    private static readonly Option<int?> CropOption = new("--crop") { Description = "Images: centre crop N×N (default: the model's input size)." };
    private static readonly Option<string?> MeanOption = new("--mean") { Description = "Images: per-channel Normalize mean (default: ImageNet for 3 channels, 0 for 1)." };
    private static readonly Option<string?> StdOption = new("--std") { Description = "Images: per-channel Normalize std (default: ImageNet for 3 channels, 1 for 1)." };

    public static Command Create()
    {
        Command command = new("run", "Run a model on an input, a folder or an IDX file: top-k classes or next tokens; accuracy with labels.")
        {
            Model.Model, InputOption, Model.Arch, TopOption, Output.Json, LabelsOption, BatchOption, LimitOption, ResizeOption, CropOption, MeanOption, StdOption,
        };
        command.SetAction(p => Run(new Request(Model.ModelOf(p), p.GetValue(InputOption)!, Model.ArchOf(p), p.GetValue(TopOption), Output.JsonOf(p))
        {
            Labels = p.GetValue(LabelsOption), Batch = p.GetValue(BatchOption), Limit = p.GetValue(LimitOption), Resize = p.GetValue(ResizeOption),
            Crop = p.GetValue(CropOption), Mean = p.GetValue(MeanOption), Std = p.GetValue(StdOption),
        }, Console.Out, Console.Error));
        return command;
    }

    internal sealed record Request(string Model, string Input, string? Arch = null, int Top = 5, bool Json = false)
    {
        public string? Labels { get; init; }
        public int Batch { get; init; } = 64;
        public int? Limit { get; init; }
        public int? Resize { get; init; }
        public int? Crop { get; init; }
        public string? Mean { get; init; }
        public string? Std { get; init; }
    }

    internal sealed record Prediction(int Rank, int Id, string Label, float Probability);

    internal static int Run(string model, string input, string? arch, int top, bool json, TextWriter output) =>
        Run(new Request(model, input, arch, top, json), output, TextWriter.Null);

    internal static int Run(Request r, TextWriter output, TextWriter error)
    {
        if (r.Top < 1) throw new UnravelUserException($"--top must be at least 1 (got {r.Top}).");
        if (r.Batch < 1) throw new UnravelUserException($"--batch must be at least 1 (got {r.Batch}).", "e.g. --batch 64");
        if (r.Limit is < 1) throw new UnravelUserException($"--limit must be at least 1 (got {r.Limit}).", "leave it out to use every input");
        bool folder = Directory.Exists(r.Input);
        if (!folder && !File.Exists(r.Input))
            throw new UnravelUserException($"{r.Input}: no such file or folder.", "pass --input PATH to an image, a text file, a folder of them, or an IDX images file");
        bool idx = !folder && ImageInputs.IsIdx(r.Input);
        if (r.Labels is not null && !idx)
            throw new UnravelUserException($"--labels {r.Labels}: labels go with an IDX images --input, not {r.Input}.", "image folders take their labels from class subfolders");
        bool preprocessing = r.Resize is not null || r.Crop is not null || r.Mean is not null || r.Std is not null;
        if (preprocessing && idx)
            throw new UnravelUserException($"--resize/--crop/--mean/--std do not apply to IDX images ({r.Input}): they are fed as stored (bytes / 255).", "leave them out");
        if (r.Limit is not null && !folder && !idx)
            throw new UnravelUserException($"--limit applies to a folder or IDX file, not the single file {r.Input}.", "leave it out");
        LoadedModel loaded = ModelReference.Load(r.Model, r.Arch);
        if (preprocessing && loaded.Model is not IImageClassifier)
            throw new UnravelUserException($"--resize/--crop/--mean/--std apply to image models; {loaded.Architecture} is not one.", "leave them out");
        if (!folder && !idx) return Single(r, loaded, output);
        return loaded.Model switch
        {
            IImageClassifier c => ClassifyBatch(r, loaded, c, idx, output, error),
            ILanguageModel lm when folder => NextTokenBatch(r, loaded, lm, output, error),
            ILanguageModel => throw new UnravelUserException($"{r.Input}: IDX images need an image model; {loaded.Architecture} is a language model.", "pass a folder of .txt files"),
            _ => throw new UnravelUserException($"run: {loaded.Model.GetType().Name} is neither an image classifier nor a language model."),
        };
    }

    private static IReadOnlyList<string>? ClassNames(LoadedModel loaded, IImageClassifier c) =>
        loaded.ClassNames ?? c.ClassNames ?? (c.Classes == 1000 ? Assets.ImageNetClasses() : null);

    private static Func<int, string> ClassLabel(IReadOnlyList<string>? names) => i => names is not null && i < names.Count ? names[i] : $"class {i}";

    private static Prediction[] Best(ReadOnlySpan<float> probs, int top, Func<int, string> label)
    {
        int[] ids = ClassificationTally.Rank(probs, top);
        var best = new Prediction[ids.Length];
        for (int r = 0; r < ids.Length; r++) best[r] = new Prediction(r + 1, ids[r], label(ids[r]), probs[ids[r]]);
        return best;
    }

    private static object Json(IEnumerable<Prediction> best) => best.Select(p => new { rank = p.Rank, id = p.Id, label = p.Label, probability = p.Probability });

    private static string Inline(IEnumerable<Prediction> best) =>
        string.Join("; ", best.Select(p => $"{p.Label} {p.Probability.ToString("0.0000", CultureInfo.InvariantCulture)}"));

    // One image or text file: a table of the top-k (or one indented JSON object).
    private static int Single(Request r, LoadedModel loaded, TextWriter output)
    {
        (float[] probs, Func<int, string> label, string kind) = loaded.Model switch
        {
            IImageClassifier c => (Classify(c, Preprocess(r, c).Apply(LoadImage(r.Input))), ClassLabel(ClassNames(loaded, c)), "classes"),
            ILanguageModel lm => NextToken(lm, r.Input),
            _ => throw new UnravelUserException($"run: {loaded.Model.GetType().Name} is neither an image classifier nor a language model."),
        };
        Prediction[] best = Best(probs, r.Top, label);
        if (r.Json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                tool_version = AtlasFormat.ToolVersion, architecture = loaded.Architecture, source = loaded.Source, sha256 = loaded.Sha256,
                random_weights = loaded.RandomWeights, input = Path.GetFullPath(r.Input), kind, predictions = Json(best),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        output.WriteLine($"{loaded.Architecture} ({loaded.Source}) on {r.Input}: top {best.Length} {kind}");
        if (loaded.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful predictions");
        var table = new TextTable("rank", "id", kind == "classes" ? "class" : "token", "probability");
        foreach (Prediction p in best)
            table.Add(p.Rank.ToString(CultureInfo.InvariantCulture), p.Id.ToString(CultureInfo.InvariantCulture), p.Label,
                p.Probability.ToString("0.0000", CultureInfo.InvariantCulture));
        output.Write(table);
        return ExitCodes.Success;
    }

    private static ImagePreprocessing Preprocess(Request r, IImageClassifier c) => ImageInputs.Preprocessing(c, r.Resize, r.Crop, r.Mean, r.Std, smallRgbImageNet: false);

    private static Image LoadImage(string path)
    {
        try { return Image.Load(path); }
        catch (CheckpointFormatException e) { throw new UnravelUserException(e.Message, "pass PNG or JPEG images"); }
    }

    private static float[] Classify(IImageClassifier model, Tensor x)
    {
        Tensor logits = model.Forward(x.Reshape(1, x.Dim(0), x.Dim(1), x.Dim(2)));                           // [1, classes]
        return Ops.Softmax(logits).ToArray();
    }

    // Batches of a folder or an IDX file through an image classifier.
    private static int ClassifyBatch(Request r, LoadedModel loaded, IImageClassifier model, bool idx, TextWriter output, TextWriter error)
    {
        IReadOnlyList<string>? names = ClassNames(loaded, model);
        Func<int, string> label = ClassLabel(names);
        string[] inputs;
        int[]? labels;
        string labelSource;
        Func<int, int, Tensor> load;
        if (idx)
        {
            int limit = r.Limit ?? int.MaxValue;
            Tensor images = Idx.ReadImages(r.Input, limit);                                                  // [N, 1, H, W]
            (int channels, int height, int width) = model.InputSize;
            if (channels != 1 || images.Dim(2) != height || images.Dim(3) != width)
                throw new UnravelUserException($"{r.Input}: IDX images are 1×{images.Dim(2)}×{images.Dim(3)}, but {loaded.Architecture} takes {channels}×{height}×{width}.",
                    "pass a folder of PNG/JPEG images for this model");
            string? labelsPath = ImageInputs.Labels(r.Input, r.Labels);
            labels = labelsPath is null ? null : Idx.ReadLabels(labelsPath, limit);
            if (labels is not null && labels.Length != images.Dim(0))
                throw new UnravelUserException($"{labelsPath}: {labels.Length} labels for {images.Dim(0)} images in {r.Input}.", "pass the labels file that belongs to the images with --labels");
            labelSource = labelsPath is null ? "no labels" : $"labels {Path.GetFileName(labelsPath)}";
            inputs = [.. Enumerable.Range(0, images.Dim(0)).Select(i => $"#{i}")];
            int per = images.Length / Math.Max(1, images.Dim(0));
            load = (start, count) => Tensor.FromSpan(images.Data.Slice(start * per, count * per), [count, 1, images.Dim(2), images.Dim(3)]); // [n, 1, H, W]
        }
        else
        {
            ImageFolder listing = ImageFolder.List(r.Input);
            if (listing.Files.Count == 0)
                throw new UnravelUserException($"{r.Input}: no .png/.jpg/.jpeg images in the folder or its class subfolders.", "pass a folder FOLDER/<class>/<image>.png or FOLDER/<image>.png");
            int n = Math.Min(listing.Files.Count, r.Limit ?? int.MaxValue);
            inputs = [.. listing.Files.Take(n).Select(f => Path.GetRelativePath(r.Input, f))];
            labels = null;
            labelSource = "no labels (no class subfolders)";
            if (listing.Labels is not null) labels = FolderLabels(listing, names, model.Classes, out labelSource)[..n];
            ImagePreprocessing pre = Preprocess(r, model);
            load = (start, count) =>
            {
                try { return pre.ApplyBatch([.. listing.Files.Skip(start).Take(count).Select(LoadImage)]); }             // [n, C, H, W]
                catch (ArgumentException e) { throw new UnravelUserException($"{r.Input}: {e.Message}", "set --crop N so every image comes out the same size"); }
            };
        }
        var tally = labels is null ? null : new ClassificationTally(model.Classes);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!r.Json)
        {
            output.WriteLine($"{loaded.Architecture} ({loaded.Source}) on {r.Input}: {inputs.Length} images, {labelSource}");
            if (loaded.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful predictions");
        }
        var table = new TextTable("#", "input", $"top {Math.Min(r.Top, model.Classes)} (probability)");
        var bar = new ProgressBar(error);
        loaded.Model.Eval();
        try
        {
            for (int start = 0; start < inputs.Length; start += r.Batch)
            {
                int count = Math.Min(r.Batch, inputs.Length - start);
                Tensor probs = Ops.Softmax(model.Forward(load(start, count)));                                // [n, K]
                int k = probs.Dim(1);
                for (int b = 0; b < count; b++)
                {
                    int i = start + b;
                    ReadOnlySpan<float> row = probs.Data.Slice(b * k, k);
                    Prediction[] best = Best(row, r.Top, label);
                    if (tally is not null) tally.Add(labels![i], ClassificationTally.Rank(row, 5));
                    if (r.Json)
                        output.WriteLine(JsonSerializer.Serialize(new
                        {
                            index = i, input = inputs[i], label = labels?[i], correct = labels is null ? (bool?)null : best[0].Id == labels[i],
                            predictions = Json(best),
                        }));
                    else if (tally is null)
                        table.Add(i.ToString(CultureInfo.InvariantCulture), inputs[i], Inline(best));
                }
                double rate = (start + count) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                bar.Report(new CollectionProgress(start + count, inputs.Length, rate, TimeSpan.FromSeconds((inputs.Length - start - count) / Math.Max(rate, 1e-9))));
            }
        }
        finally
        {
            bar.Finish();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (r.Json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                summary = new
                {
                    tool_version = AtlasFormat.ToolVersion, architecture = loaded.Architecture, source = loaded.Source, sha256 = loaded.Sha256,
                    random_weights = loaded.RandomWeights, input = Path.GetFullPath(r.Input), kind = "classes", count = inputs.Length, labels = labelSource,
                    accuracy = tally?.Accuracy, top5_accuracy = tally?.Top5Accuracy, correct = tally?.Top1, top5_correct = tally?.Top5,
                    classes = tally is null ? null : Enumerable.Range(0, model.Classes).Select(label).ToArray(),
                    confusion = tally is null || model.Classes > 100 ? null : Enumerable.Range(0, model.Classes).Select(t => tally.Confusion.AsSpan(t * model.Classes, model.Classes).ToArray()).ToArray(),
                    seconds, images_per_second = inputs.Length / Math.Max(seconds, 1e-9),
                },
            }));
            return ExitCodes.Success;
        }
        if (tally is null)
        {
            output.Write(table);
        }
        else
        {
            output.WriteLine(FormattableString.Invariant(
                $"accuracy {tally.Accuracy:P2} ({tally.Top1}/{tally.Count}), top-5 accuracy {tally.Top5Accuracy:P2} ({tally.Top5}/{tally.Count})"));
            WriteConfusion(tally, label, output);
        }
        output.WriteLine(FormattableString.Invariant($"{inputs.Length} images in {seconds:0.0} s ({inputs.Length / Math.Max(seconds, 1e-9):0} images/s)"));
        return ExitCodes.Success;
    }

    // Class subfolders → model class ids: by name when every folder is named after one of the model's classes, else (as
    // torchvision's ImageFolder) the index of the folder in sorted order.
    private static int[] FolderLabels(ImageFolder listing, IReadOnlyList<string>? names, int classes, out string source)
    {
        if (names is not null && listing.Classes.All(c => names.Contains(c, StringComparer.OrdinalIgnoreCase)))
        {
            int[] byName = [.. listing.Classes.Select(c => names.Select((n, i) => (n, i)).First(t => string.Equals(t.n, c, StringComparison.OrdinalIgnoreCase)).i)];
            source = $"labels from {listing.Classes.Count} class folders matched to the model's class names";
            return [.. listing.Labels!.Select(l => byName[l])];
        }
        if (listing.Classes.Count > classes)
            throw new UnravelUserException($"{listing.Root}: {listing.Classes.Count} class folders, but the model has {classes} classes.",
                "name the folders after the model's classes, or give one folder per class in the model's order (sorted names)");
        source = $"labels from {listing.Classes.Count} class folders in sorted order ({string.Join(", ", listing.Classes.Take(10).Select((c, i) => $"{c}={i}"))}{(listing.Classes.Count > 10 ? ", …" : "")})";
        return listing.Labels!;
    }

    private static void WriteConfusion(ClassificationTally tally, Func<int, string> label, TextWriter output)
    {
        int k = tally.Classes;
        if (k > 20)
        {
            output.WriteLine($"confusion matrix: {k} classes, too wide to print; --json includes it (up to 100 classes)");
            return;
        }
        output.WriteLine("confusion matrix (rows: true class, columns: predicted class id):");
        var table = new TextTable([$"true \\ predicted", .. Enumerable.Range(0, k).Select(i => i.ToString(CultureInfo.InvariantCulture)), "recall"]);
        for (int t = 0; t < k; t++)
        {
            ReadOnlySpan<long> row = tally.Confusion.AsSpan(t * k, k);
            long total = 0;
            foreach (long v in row) total += v;
            if (total == 0) continue;
            table.Add([$"{t} {label(t)}", .. row.ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture)),
                ((double)row[t] / total).ToString("0.000", CultureInfo.InvariantCulture)]);
        }
        output.Write(table);
    }

    // A folder of UTF-8 text files (sorted by name): each file's next-token distribution, prompts of one length batched.
    private static int NextTokenBatch(Request r, LoadedModel loaded, ILanguageModel model, TextWriter output, TextWriter error)
    {
        Gpt2Tokenizer tokenizer = CheckTokenizer(model);
        string[] files = [.. Directory.EnumerateFiles(r.Input, "*.txt").Order(StringComparer.Ordinal).Take(r.Limit ?? int.MaxValue)];
        if (files.Length == 0) throw new UnravelUserException($"{r.Input}: no .txt files in the folder.", "pass a folder of UTF-8 .txt prompts (or images for an image model)");
        int[][] prompts = [.. files.Select(f => Prompt(tokenizer, model, f))];
        var results = new Prediction[files.Length][];
        Func<int, string> label = i => i < tokenizer.VocabSize ? JsonSerializer.Serialize(tokenizer.TokenText(i)) : $"<{i}>";
        var bar = new ProgressBar(error);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int done = 0;
        try
        {
            foreach (IGrouping<int, int> group in Enumerable.Range(0, files.Length).GroupBy(i => prompts[i].Length))
                foreach (int[] chunk in group.Chunk(r.Batch))
                {
                    int t = group.Key;
                    int[] tokens = [.. chunk.SelectMany(i => prompts[i])];
                    Tensor logits = model.Forward(tokens, chunk.Length, t);                                  // [n, T, V]
                    int v = logits.Dim(2);
                    for (int b = 0; b < chunk.Length; b++)
                    {
                        Tensor last = Tensor.FromSpan(logits.Data.Slice((b * t + t - 1) * v, v), [v]);         // [V]
                        results[chunk[b]] = Best(Ops.Softmax(last).ToArray(), r.Top, label);
                    }
                    done += chunk.Length;
                    double rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    bar.Report(new CollectionProgress(done, files.Length, rate, TimeSpan.FromSeconds((files.Length - done) / Math.Max(rate, 1e-9))));
                }
        }
        finally
        {
            bar.Finish();
        }
        if (r.Json)
        {
            for (int i = 0; i < files.Length; i++)
                output.WriteLine(JsonSerializer.Serialize(new { index = i, input = Path.GetFileName(files[i]), tokens = prompts[i].Length, predictions = Json(results[i]) }));
            output.WriteLine(JsonSerializer.Serialize(new
            {
                summary = new
                {
                    tool_version = AtlasFormat.ToolVersion, architecture = loaded.Architecture, source = loaded.Source, sha256 = loaded.Sha256,
                    random_weights = loaded.RandomWeights, input = Path.GetFullPath(r.Input), kind = "next tokens", count = files.Length, seconds = clock.Elapsed.TotalSeconds,
                },
            }));
            return ExitCodes.Success;
        }
        output.WriteLine($"{loaded.Architecture} ({loaded.Source}) on {r.Input}: {files.Length} text files, top {r.Top} next tokens");
        if (loaded.RandomWeights) output.WriteLine("note: random weights — pass a checkpoint for meaningful predictions");
        var table = new TextTable("#", "input", "tokens", $"top {r.Top} next tokens (probability)");
        for (int i = 0; i < files.Length; i++)
            table.Add(i.ToString(CultureInfo.InvariantCulture), Path.GetFileName(files[i]), prompts[i].Length.ToString(CultureInfo.InvariantCulture), Inline(results[i]));
        output.Write(table);
        return ExitCodes.Success;
    }

    private static Gpt2Tokenizer CheckTokenizer(ILanguageModel model)
    {
        Gpt2Tokenizer tokenizer = Assets.Tokenizer();
        if (model.VocabSize < tokenizer.VocabSize)
            throw new UnravelUserException($"the model's vocabulary has {model.VocabSize} entries, fewer than the GPT-2 tokenizer's {tokenizer.VocabSize}.",
                "run needs a model trained with the GPT-2 tokenizer");
        return tokenizer;
    }

    // The prompt's tokens, cut to the model's context (its last tokens).
    private static int[] Prompt(Gpt2Tokenizer tokenizer, ILanguageModel model, string path)
    {
        int[] tokens = tokenizer.Encode(File.ReadAllText(path));
        if (tokens.Length == 0) throw new UnravelUserException($"{path}: the text is empty.", "give the model a prompt to continue");
        return tokens.Length > model.Context ? tokens[^model.Context..] : tokens;
    }

    private static (float[], Func<int, string>, string) NextToken(ILanguageModel model, string path)
    {
        Gpt2Tokenizer tokenizer = CheckTokenizer(model);
        int[] tokens = Prompt(tokenizer, model, path);
        Tensor logits = model.Forward(tokens, 1, tokens.Length);                                             // [1, T, V]
        int v = logits.Dim(2);
        Tensor last = Tensor.FromSpan(logits.Data.Slice((tokens.Length - 1) * v, v), [v]);                   // [V]
        float[] probs = Ops.Softmax(last).ToArray();
        return (probs, i => i < tokenizer.VocabSize ? JsonSerializer.Serialize(tokenizer.TokenText(i)) : $"<{i}>", "next tokens");
    }
}
