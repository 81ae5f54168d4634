// The training loop on tiny synthetic tasks: the loss goes down, runs are bit-identical for a seed, and a run stopped
// and resumed from its checkpoint ends with exactly the weights of an uninterrupted run.

using Unravel.Models.Text;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Models.Training;
using Unravel.Models.Vision;
using Unravel.Nn.Optim;

namespace Unravel.Models.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "unravel-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>64 8×8 images: class 0 bright on the left half, class 1 on the right, plus noise.</summary>
    private static ImageClassificationTask ImageTask(int seed)
    {
        var model = new SmallCnn(WeightSource.Initialize(seed), new SmallCnnConfig([4, 8]) { Classes = 2, ImageSize = 8 });
        (Tensor x, int[] y) = Images(64, 1);
        (Tensor tx, int[] ty) = Images(32, 2);
        return new ImageClassificationTask(model, x, y, tx, ty, new ImageAugmentation { CropPadding = 1, HorizontalFlip = false });
    }

    private static (Tensor, int[]) Images(int n, int seed)
    {
        var rng = new Random(seed);
        var data = new float[n * 64];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            for (int p = 0; p < 64; p++)
            {
                bool left = p % 8 < 4;
                data[i * 64 + p] = (left == (labels[i] == 0) ? 0.8f : 0.2f) + (float)(rng.NextDouble() - 0.5) * 0.4f;
            }
        }
        return (Tensor.FromArray(data, n, 1, 8, 8), labels);
    }

    private static TrainingOptions Options(string? checkpoint = null) => new()
    {
        Epochs = 3, BatchSize = 8, Seed = 5, Schedule = new CosineSchedule { BaseRate = 0.05f, WarmupSteps = 2 },
        GradClipNorm = 5f, CheckpointDirectory = checkpoint, CheckpointEverySteps = 4,
    };

    private static Optimizer Sgd(ITrainingTask t) =>
        new Sgd(t.Model.TrainableParameters(), new SgdOptions { Momentum = 0.9f, WeightDecay = 1e-4f });

    [Fact]
    public void Run_TinyImageTask_LowersLossAndLearns()
    {
        ImageClassificationTask task = ImageTask(1);
        EvaluationResult before = task.Evaluate();
        var losses = new List<double>();
        TrainingResult result = Trainer.Run(task, Sgd(task), Options() with { ProgressEverySteps = 8, Progress = p => losses.Add(p.Loss) });
        Assert.True(result.Completed);
        Assert.Equal(24, result.Steps);
        Assert.True(losses[^1] < losses[0] * 0.7, $"training loss {losses[0]:F4} → {losses[^1]:F4}");
        Assert.True(result.FinalEvaluation!.Loss < before.Loss, $"eval loss {before.Loss:F4} → {result.FinalEvaluation.Loss:F4}");
        Assert.True(result.FinalEvaluation.Accuracy >= 0.9, $"accuracy {result.FinalEvaluation.Accuracy:P1}");
    }

    [Fact]
    public void Run_SameSeedTwice_GivesBitIdenticalWeights()
    {
        ImageClassificationTask a = ImageTask(3), b = ImageTask(3);
        Trainer.Run(a, Sgd(a), Options());
        Trainer.Run(b, Sgd(b), Options());
        AssertSameWeights(a.Model, b.Model);
    }

    [Fact]
    public void Run_OtherSeed_GivesOtherWeights()
    {
        ImageClassificationTask a = ImageTask(3), b = ImageTask(3);
        Trainer.Run(a, Sgd(a), Options());
        Trainer.Run(b, Sgd(b), Options() with { Seed = 6 });
        Assert.NotEqual(a.Model.StateDict()["fc.weight"].Data.ToArray(), b.Model.StateDict()["fc.weight"].Data.ToArray());
    }

    [Fact]
    public void Resume_AfterStop_EqualsUninterruptedRun()
    {
        ImageClassificationTask full = ImageTask(4);
        Trainer.Run(full, Sgd(full), Options(Path.Combine(_dir, "full")));

        string ckpt = Path.Combine(_dir, "stopped");
        ImageClassificationTask first = ImageTask(4);
        TrainingResult stopped = Trainer.Run(first, Sgd(first), Options(ckpt) with { StopAtStep = 11 });
        Assert.False(stopped.Completed);
        Assert.Equal(11, stopped.Steps);

        ImageClassificationTask second = ImageTask(99); // other init: everything must come from the checkpoint
        TrainingResult resumed = Trainer.Run(second, Sgd(second), Options(ckpt) with { Resume = true });
        Assert.True(resumed.Completed);
        AssertSameWeights(full.Model, second.Model);
    }

    [Fact]
    public void Resume_WithOtherBatchSize_Throws()
    {
        string ckpt = Path.Combine(_dir, "c");
        ImageClassificationTask t = ImageTask(4);
        Trainer.Run(t, Sgd(t), Options(ckpt) with { StopAtStep = 3 });
        ImageClassificationTask u = ImageTask(4);
        var e = Assert.Throws<ArgumentException>(() => Trainer.Run(u, Sgd(u), Options(ckpt) with { Resume = true, BatchSize = 4 }));
        Assert.Contains("batch 8", e.Message);
    }

    [Fact]
    public void Run_TinyLanguageModel_LowersPerplexityWithAdamW()
    {
        // A periodic stream 0 1 2 … 11 0 1 2 …: after training, next tokens are predictable.
        int[] stream = Enumerable.Range(0, 400).Select(i => i % 12).ToArray();
        var model = new Gpt2(WeightSource.Initialize(2), new Gpt2Config(16, 8, 1, 2, 16));
        var task = new LanguageModelTask(model, stream, stream[..81], 8);
        double before = task.Evaluate().Perplexity;
        var opt = new AdamW(model.TrainableParameters(), new AdamWOptions { WeightDecay = 0.01f }, p => p.Value.Rank >= 2);
        TrainingResult r = Trainer.Run(task, opt, new TrainingOptions
        {
            Epochs = 8, BatchSize = 4, Seed = 1, Schedule = new CosineSchedule { BaseRate = 1e-2f, WarmupSteps = 3 }, GradClipNorm = 1f,
        });
        Assert.True(r.FinalEvaluation!.Perplexity < before / 3, $"perplexity {before:F2} → {r.FinalEvaluation.Perplexity:F2}");
    }

    [Fact]
    public void Resume_LanguageModelWithAdamW_EqualsUninterruptedRun()
    {
        // AdamW carries two moments and a step count per parameter, and weight decay only on matrices: all of it must
        // come back from the checkpoint for the resumed run to end on the uninterrupted run's weights, bit for bit.
        int[] stream = Enumerable.Range(0, 240).Select(i => (i * 7 + i / 12) % 12).ToArray();
        (LanguageModelTask Task, AdamW Opt) Make(int init)
        {
            var model = new Gpt2(WeightSource.Initialize(init), new Gpt2Config(16, 8, 1, 2, 16));
            var opt = new AdamW(model.TrainableParameters(), new AdamWOptions { WeightDecay = 0.01f }, p => p.Value.Rank >= 2);
            return (new LanguageModelTask(model, stream, stream[..41], 8), opt);
        }
        TrainingOptions Lm(string dir) => new()
        {
            Epochs = 3, BatchSize = 4, Seed = 3, Schedule = new CosineSchedule { BaseRate = 1e-2f, WarmupSteps = 2 },
            GradClipNorm = 1f, CheckpointDirectory = Path.Combine(_dir, dir), CheckpointEverySteps = 5,
        };

        (LanguageModelTask full, AdamW fullOpt) = Make(2);
        TrainingResult all = Trainer.Run(full, fullOpt, Lm("lm-full"));

        (LanguageModelTask first, AdamW firstOpt) = Make(2);
        TrainingResult stopped = Trainer.Run(first, firstOpt, Lm("lm-stopped") with { StopAtStep = 13 });
        Assert.False(stopped.Completed);

        (LanguageModelTask second, AdamW secondOpt) = Make(77);   // other init: everything must come from the checkpoint
        TrainingResult resumed = Trainer.Run(second, secondOpt, Lm("lm-stopped") with { Resume = true });
        Assert.True(resumed.Completed);
        Assert.Equal(all.Steps, resumed.Steps);
        AssertSameWeights(full.Model, second.Model);
        Assert.Equal(all.FinalEvaluation!.Loss, resumed.FinalEvaluation!.Loss);
    }

    [Fact]
    public void Run_TinyLanguageModelCopyTask_LearnsToAttend()
    {
        // Blocks "a b c d a b c d" of random tokens: the second half is only predictable by attending 4 positions back,
        // so accuracy well above 1/8 (chance) needs working attention gradients. Ideal: 4 of 8 targets → ≈ 0.56.
        var rng = new Random(3);
        int[] stream = Enumerable.Range(0, 300).SelectMany(_ => { int[] h = [rng.Next(8), rng.Next(8), rng.Next(8), rng.Next(8)]; return h.Concat(h); })
            .Append(0).ToArray();
        var model = new Gpt2(WeightSource.Initialize(2), new Gpt2Config(8, 8, 2, 2, 32));
        var task = new LanguageModelTask(model, stream, stream[..801], 8);
        var opt = new AdamW(model.TrainableParameters(), new AdamWOptions { WeightDecay = 0f });
        TrainingResult r = Trainer.Run(task, opt, new TrainingOptions
        {
            Epochs = 6, BatchSize = 10, Seed = 1, Schedule = new CosineSchedule { BaseRate = 1e-2f, WarmupSteps = 5 },
        });
        Assert.True(r.FinalEvaluation!.Accuracy > 0.4, $"accuracy {r.FinalEvaluation.Accuracy:P1}");
    }

    [Fact]
    public void Augmentation_Flip_MirrorsRows()
    {
        float[] src = Enumerable.Range(0, 9).Select(i => (float)i).ToArray(); // 3×3: rows 0 1 2 / 3 4 5 / 6 7 8
        var dst = new float[9];
        // A stream whose first NextInt(2) is 1, i.e. "flip".
        ulong state = Enumerable.Range(0, 64).Select(i => TrainingRandom.For(i).State).First(st => new TrainingRandom(st).NextInt(2) == 1);
        new ImageAugmentation { HorizontalFlip = true }.Apply(src, dst, 1, 3, 3, new TrainingRandom(state));
        Assert.Equal([2f, 1, 0, 5, 4, 3, 8, 7, 6], dst);
    }

    [Fact]
    public void Augmentation_Crop_ShiftsWithZeroPadding()
    {
        float[] src = Enumerable.Range(1, 16).Select(i => (float)i).ToArray(); // 4×4
        for (int seed = 0; seed < 20; seed++)
        {
            var draws = TrainingRandom.For(seed);
            int dy = draws.NextInt(5) - 2, dx = draws.NextInt(5) - 2;
            var dst = new float[16];
            new ImageAugmentation { CropPadding = 2 }.Apply(src, dst, 1, 4, 4, TrainingRandom.For(seed));
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++)
                {
                    int sy = y + dy, sx = x + dx;
                    float expected = sy is >= 0 and < 4 && sx is >= 0 and < 4 ? src[sy * 4 + sx] : 0f;
                    Assert.Equal(expected, dst[y * 4 + x]);
                }
        }
    }

    [Fact]
    public void UnigramBaseline_EqualsClosedForm()
    {
        // Train counts: token 0 ×3, token 1 ×1, N = 4, V = 4: p(0) = 4/8, p(1) = 2/8, p(2) = 1/8.
        // Targets 0, 2: perplexity = exp(-(ln ½ + ln ⅛)/2) = √16 = 4.
        Assert.Equal(4.0, UnigramBaseline.Perplexity([0, 0, 0, 1], [0, 2], 4), 10);
    }

    [Fact]
    public void SelectBy_KeepsTheBestScoredEvaluationsWeights_EarlierOnTies()
    {
        // Evaluations every 4 steps (6 in 24 steps) scored by a planted sequence: the best is the 2nd (step 8); the
        // 5th ties with it and must not replace it. The kept weights equal those of a run stopped at step 8.
        double[] planted = [0.1, 0.5, 0.3, 0.2, 0.5, 0.4];
        int calls = 0;
        ImageClassificationTask selected = ImageTask(7);
        TrainingResult r = Trainer.Run(selected, Sgd(selected), Options() with { EvalEverySteps = 4, SelectBy = _ => planted[calls++] });
        Assert.Equal(6, calls);
        Assert.Equal(8, r.SelectedStep);
        Assert.Equal([4L, 8, 12, 16, 20, 24], r.Evaluations!.Select(e => e.Step));

        ImageClassificationTask atEight = ImageTask(7);
        Trainer.Run(atEight, Sgd(atEight), Options(Path.Combine(_dir, "eight")) with { EvalEverySteps = 4, StopAtStep = 8 });
        AssertSameWeights(atEight.Model, selected.Model);
    }

    [Fact]
    public void SelectBy_ResumedAfterTheBest_EndsWithTheUninterruptedRunsSelection()
    {
        // Planted scores with the best at step 8; the run is cut at step 14 (after it) and resumed, so the kept weights
        // must come back from the checkpoint's best.safetensors.
        static Func<EvaluationResult, double> Planted(params double[] scores) { int i = 0; return _ => scores[i++]; }
        TrainingOptions Selecting(string dir, Func<EvaluationResult, double> score) => Options(Path.Combine(_dir, dir)) with { EvalEverySteps = 4, SelectBy = score };
        ImageClassificationTask full = ImageTask(8);
        TrainingResult whole = Trainer.Run(full, Sgd(full), Selecting("whole", Planted(0.1, 0.9, 0.3, 0.2, 0.5, 0.4)));
        Assert.Equal(8, whole.SelectedStep);

        ImageClassificationTask first = ImageTask(8);
        Trainer.Run(first, Sgd(first), Selecting("cut", Planted(0.1, 0.9, 0.3)) with { StopAtStep = 14 });
        ImageClassificationTask second = ImageTask(98);   // other init: everything must come from the checkpoint
        TrainingResult resumed = Trainer.Run(second, Sgd(second), Selecting("cut", Planted(0.2, 0.5, 0.4)) with { Resume = true });
        Assert.Equal(8, resumed.SelectedStep);
        Assert.Equal(whole.Evaluations!.Select(e => (e.Step, e.Result.Loss)), resumed.Evaluations!.Select(e => (e.Step, e.Result.Loss)));
        AssertSameWeights(full.Model, second.Model);
    }

    [Fact]
    public void ValidationSplit_IsADeterministicPartitionOfTheIndices()
    {
        ValidationSplit a = ValidationSplit.Carve(1000, 100, 0), b = ValidationSplit.Carve(1000, 100, 0), c = ValidationSplit.Carve(1000, 100, 1);
        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Validation, c.Validation);
        Assert.Equal(100, a.Validation.Length);
        Assert.Equal(Enumerable.Range(0, 1000), a.Train.Concat(a.Validation).Order());
        Assert.Equal(a.Validation.Order(), a.Validation);
        Assert.Equal(a.Train.Order(), a.Train);
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Carve(10, 10, 0));
    }

    private static void AssertSameWeights(RootModule a, RootModule b)
    {
        IReadOnlyDictionary<string, Tensor> sa = a.StateDict(), sb = b.StateDict();
        foreach ((string key, Tensor t) in sa)
            Assert.True(t.Data.SequenceEqual(sb[key].Data), $"{key} differs");
    }
}
