// The channel split stage (Hesse, Fischer, Schaub-Meyer, Roth 2025, "Disentangling Polysemantic Channels in
// Convolutional Neural Networks", arXiv 2504.12939): finds γ-polysemantic channels of one convolution on the find images
// and stores the search (methods/split/<conv>/find.json); with a channel and a pair of classes it also chooses ρ on the
// find images, splits the channel, evaluates on the held-out images (D/A per class, largest logit change, top references
// of the original and both split channels), exports the edited model and stores the split record. The convolution must be
// a collected layer of the atlas (its pages carry the split panel).
// The images are partitioned explicitly: with train data, find/ρ run on it and the whole atlas dataset is held out;
// without, a seeded permutation of the atlas dataset gives the first half to find/ρ and the second half to evaluation.
// An atlas opened for a neuron shard searches that slice of the output channels and stores it as a shard of the search
// (SplitFindShards), which `unravel merge-records` merges into find.json.

using System.Diagnostics;
using System.Text.Json.Nodes;
using Unravel.Atlas.Methods;
using Unravel.Interpret.ChannelSplit;
using Unravel.Interpret.FeatureVisualization;
using Unravel.IO;
using Unravel.Models;
using Unravel.Models.Vision;
using Unravel.Nn.Layers;

namespace Unravel.Atlas.Stages;

/// <summary>Runs channel splitting and stores the results.</summary>
public sealed class SplitStage : IStage<SplitRequest, SplitStageResult>
{
    /// <summary>References stored per channel.</summary>
    public const int TopReferences = 16;

    /// <inheritdoc/>
    public SplitStageResult Run(SplitRequest request, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit is < 4) throw new UnravelException($"split: limit must be at least 4 images (got {request.Limit}).");
        if (request.Batch < 1) throw new UnravelException($"split: batch must be at least 1 (got {request.Batch}).");
        if ((request.Channel is null) != (request.Classes is null))
            throw new UnravelException("split: a split needs both a channel and a pair of classes.", "pass --channel c --classes t1,t2, or --find alone");
        if (request.TrainImages is not null && request.TrainLabels is null)
            throw new UnravelException($"split: {request.TrainImages} needs its labels.", "add --train-labels FILE (IDX labels)");
        AtlasSession session = request.Session;
        Scale.Shard? shard = session.Atlas.RecordShard;
        if (shard is not null && request.Channel is not null)
            throw new UnravelException("split: a neuron shard fans out the search (--find) only; a split runs in one process.",
                $"merge the search's shards with `unravel merge-records {session.Root}`, then split without --neurons-shard");
        using IDisposable writing = session.Lock("split", cancellationToken);
        AtlasReader atlas = session.Atlas;
        LoadedModel loaded = session.Model;
        Conv2d conv = Conv(loaded, request.Layer);
        string layer = conv.Path;
        int classes = ((IImageClassifier)loaded.Model).Classes;
        if (request.Channel is { } ch && (uint)ch >= (uint)conv.OutChannels)
            throw new AnalysisException($"split: channel {ch} is out of range for '{layer}' ({conv.OutChannels} channels, 0 … {conv.OutChannels - 1}).",
                $"`unravel split {atlas.Root} --layer {layer} --find` lists the γ-polysemantic channels");
        if (request.Classes is { } cl && ((uint)cl.Class1 >= (uint)classes || (uint)cl.Class2 >= (uint)classes || cl.Class1 == cl.Class2))
            throw new AnalysisException($"split: classes {cl.Class1},{cl.Class2} must be two different classes of the model's {classes} (0 … {classes - 1}).",
                "pass --classes t1,t2 as printed by --find");
        if (request.Out is { } outDir && File.Exists(outDir))
            throw new UnravelException($"{outDir}: is a file; the split writes a folder there.", "pass a new or existing folder to --out");
        request.Options.Validate();
        session.Layer(layer); // the split's records and report panel live on the convolution's layer pages, so it must be collected

        // The held-out half may reach past the inputs the atlas collected: the file up to --limit (or whole), not session.Dataset.
        ImageDataset data = Labelled(session.OpenDataset(request.Limit ?? int.MaxValue), atlas.Root);
        int seed = request.Seed ?? atlas.Seed;
        (ImageDataset findData, long[] findIdx, long[] evalIdx, SplitImagesRecord images) = Partition(request, data, seed);
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();

        SplitFindFile? stored = request.Channel is null ? null : SplitMethod.Instance.ReadFind(atlas, layer);
        ChannelSplitFindOptions o = request.Options;
        bool reused = stored is not null && stored.Images == images && stored.Find.Options with { Gamma = o.Gamma, GammaLow = o.GammaLow } == o;
        ChannelSplitFindResult find;
        if (reused)
        {
            // The pass depends on τ and p only; γ is a test on the stored cosines, so another γ re-tests them.
            find = stored!.Find with
            {
                Options = o,
                Cosines = [.. stored.Find.Cosines.Select(c => c with { Polysemantic = c.Cosine >= o.GammaLow && c.Cosine < o.Gamma })],
            };
        }
        else
        {
            int total = findIdx.Length;
            (int, int) channels = shard is { } sh ? sh.Slice(conv.OutChannels) : (0, conv.OutChannels);
            find = ChannelSplitFinder.Find(loaded.Model, layer, Batches(findData, findIdx, request.Batch), channels, request.Options,
                new Progress<int>(done => progress?.Report(StageProgress.After("split find", done, total, clock.Elapsed))), cancellationToken);
            var file = new SplitFindFile(AtlasFormat.Version, Provenance.Of(SplitMethod.Instance.Name, atlas, seed, OptionsJson(request, images)), layer, images, find);
            if (shard is { } part) Scale.SplitFindShards.Write(atlas, file, part);
            else SplitMethod.Instance.WriteFind(atlas, file);
        }
        seconds["find"] = clock.Elapsed.TotalSeconds;
        string findFile = shard is { } written ? Scale.SplitFindShards.PathOf(atlas, layer, written) : SplitMethod.Instance.FindPath(atlas, layer);
        if (request.Channel is not { } channel || request.Classes is not { } pair)
            return new SplitStageResult(request, find, reused, images, findFile, null, null, seconds);

        (ArvCosine arvCos, float[] arv1, float[] arv2) = find.RequirePair(channel, pair.Class1, pair.Class2);
        clock.Restart();
        RhoSelection rho = RhoSelector.Choose(loaded.Model, layer, channel, pair.Class1, pair.Class2, arv1, arv2,
            Batches(findData, findIdx, request.Batch), null, cancellationToken);
        seconds["rho"] = clock.Elapsed.TotalSeconds;

        clock.Restart();
        byte[] mask = SplitMask.Partition(arv1, arv2, rho.Rho);
        Architecture arch = ModelRegistry.Get(loaded.Architecture);
        Unravel.Nn.RootModule edited = ChannelSurgery.Split(loaded.Model, arch.Create, layer, channel, mask);
        seconds["split"] = clock.Elapsed.TotalSeconds;

        clock.Restart();
        long[] pairIdx = evalIdx.Where(i => data.Labels![(int)i] == pair.Class1 || data.Labels![(int)i] == pair.Class2).ToArray();
        ChannelSplitEvaluation evaluation = ChannelSplitEvaluator.Evaluate(loaded.Model, edited, layer, channel, pair.Class1, pair.Class2,
            Batches(data, pairIdx, request.Batch), request.Options.Tau, cancellationToken);
        (double maxDiff, double maxLogit, SplitReferencesRecord[] references) = Outputs(loaded.Model, edited, conv, channel, data, evalIdx, request.Batch, cancellationToken);
        seconds["evaluate"] = clock.Elapsed.TotalSeconds;

        string hook = layer + "." + SplitConv2d.HookPoint;
        var card = new ChannelSplitCard(loaded.Sha256, layer, channel, pair.Class1, pair.Class2, hook, rho.Rho, "argmax of mean per-image ratios Q1 + Q2",
            request.Options.Tau, request.Options.P, request.Options.Gamma, request.Options.GammaLow, arvCos.Cosine, [.. mask.Select(m => (int)m)]);
        clock.Restart();
        string? export = null;
        if (request.Out is { } dir)
        {
            export = Path.GetFullPath(dir);
            Directory.CreateDirectory(export);
            IReadOnlyDictionary<string, Tensor> state = edited.StateDict();
            SafeTensors.Write(Path.Combine(export, "model.safetensors"), state, ModelReference.Metadata(loaded.Architecture, edited));
            TorchStateDictWriter.Write(Path.Combine(export, "model.pth"), state);
            AtomicFile.WriteAllBytes(Path.Combine(export, "split-card.json"), SplitMethod.CardJson(card));
        }
        seconds["export"] = clock.Elapsed.TotalSeconds;

        clock.Restart();
        Visualize(request, loaded.Model, edited, conv, channel, seed, cancellationToken);
        seconds["visualize"] = clock.Elapsed.TotalSeconds;

        var record = new SplitRecord(channel, pair.Class1, pair.Class2, session.ClassNames, arvCos.Cosine, card, rho, [.. evaluation.Classes],
            Math.Max(maxDiff, evaluation.MaxAbsLogitDiff), Math.Max(maxLogit, evaluation.MaxAbsLogit), images, export, references);
        SplitMethod.Instance.Write(atlas, layer, Provenance.Of(SplitMethod.Instance.Name, atlas, seed, OptionsJson(request, images)), [(channel, record)]);
        return new SplitStageResult(request, find, reused, images, findFile, record, SplitMethod.Instance.PathOf(atlas, layer, channel), seconds);
    }

    /// <summary>Feature visualisations of the original channel (the convolution's output, channel c, on the original model)
    /// and of the concept-1 and concept-2 rows of the split hook (channels c and O of the edited model), stored beside the
    /// split record; with no steps requested, an earlier split's images of this channel are removed.</summary>
    private static void Visualize(SplitRequest request, Unravel.Nn.RootModule original, Unravel.Nn.RootModule edited, Conv2d conv, int channel, int seed,
        CancellationToken cancellationToken)
    {
        AtlasReader atlas = request.Session.Atlas;
        string method = SplitMethod.Instance.Name;
        if (request.FeatureSteps <= 0)
        {
            File.Delete(FeatureImageStore.IndexPath(atlas, method, conv.Path, channel));
            return;
        }
        string hook = conv.Path + "." + SplitConv2d.HookPoint;
        (string Name, Unravel.Nn.RootModule Model, FeatureObjective Objective)[] jobs =
        [
            ("original", original, FeatureObjective.Neuron(conv.Path, channel)),
            ("concept 1", edited, FeatureObjective.Neuron(hook, channel)),
            ("concept 2", edited, FeatureObjective.Neuron(hook, conv.OutChannels)),
        ];
        var images = jobs.Select((j, slot) => FeatureImages.Render(j.Model, j.Name, j.Objective, FeatureImageStore.FileName(channel, slot), seed,
            request.FeatureSteps, cancellationToken)).ToList();
        var options = new JsonObject { ["layer"] = conv.Path, ["channel"] = channel, ["seed"] = seed, ["steps"] = request.FeatureSteps, ["objective"] = "mean of the channel over positions" };
        FeatureImageStore.Write(atlas, method, conv.Path, channel, Provenance.Of(method, atlas, seed, options), images);
    }

    /// <summary>The plain convolution at <paramref name="layer"/>.</summary>
    private static Conv2d Conv(LoadedModel loaded, string layer)
    {
        if (loaded.Model is not IImageClassifier)
            throw new AnalysisException($"split: {loaded.Source} is not an image classifier; channel splitting needs one.");
        var module = loaded.Model.Modules().FirstOrDefault(m => m.Path == layer);
        if (module is Conv2d conv and not SplitConv2d) return conv;
        string convs = string.Join(", ", loaded.Model.Modules().OfType<Conv2d>().Where(c => c is not SplitConv2d).Select(c => c.Path).TakeLast(6));
        string what = module is null ? "not a module of the model" : module is SplitConv2d ? "an already split convolution" : $"a {module.GetType().Name}, not a convolution";
        throw new AnalysisException($"split: layer '{layer}' is {what}.", $"pick a Conv2d path, e.g. {convs}");
    }

    /// <summary>The atlas's dataset as labelled images.</summary>
    private static ImageDataset Labelled(ICollectionDataset dataset, string root) =>
        dataset is ImageDataset { Labels: not null } images ? images
            : throw new AnalysisException($"{root}: channel splitting needs a labelled image dataset; this atlas's is {dataset.Description}.",
                "collect the atlas with --labels FILE");

    /// <summary>The find/ρ images and the held-out evaluation images.</summary>
    private static (ImageDataset Find, long[] FindIdx, long[] EvalIdx, SplitImagesRecord Images) Partition(SplitRequest request, ImageDataset data, int seed)
    {
        if (request.TrainImages is { } train)
        {
            DatasetSpec spec = request.Session.Atlas.Dataset! with { Path = Path.GetFullPath(train), Labels = Path.GetFullPath(request.TrainLabels!) };
            if (!File.Exists(spec.Path) || !File.Exists(spec.Labels))
                throw new UnravelException($"{train}: the training images or labels do not exist.", "pass IDX files with --train-data and --train-labels");
            ImageDataset trainData = Labelled(spec.Open(request.Session.Model.Model), train);
            long[] all = [.. Enumerable.Range(0, Math.Min(data.Count, request.Limit ?? int.MaxValue)).Select(i => (long)i)];
            return (trainData, [.. Enumerable.Range(0, trainData.Count).Select(i => (long)i)], all,
                new SplitImagesRecord("train-data", seed, spec.Path, trainData.Count, all.Length));
        }
        int count = Math.Min(data.Count, request.Limit ?? int.MaxValue);
        if (count < 4) throw new AnalysisException($"split: the atlas dataset has {data.Count} images; a half/half partition needs at least 4.");
        long[] perm = [.. Enumerable.Range(0, count).Select(i => (long)i)];
        new Random(seed).Shuffle(perm);
        int half = count / 2;
        long[] findIdx = perm[..half], evalIdx = perm[half..];
        Array.Sort(findIdx);
        Array.Sort(evalIdx);
        return (data, findIdx, evalIdx, new SplitImagesRecord("seeded-half", seed, (request.Session.Atlas.Dataset?.Path ?? data.Description) + (count < data.Count ? $" (first {count} images)" : ""), findIdx.Length, evalIdx.Length));
    }

    private static IEnumerable<LabelledBatch> Batches(ImageDataset data, long[] indices, int batch)
    {
        for (int s = 0; s < indices.Length; s += batch)
        {
            long[] idx = indices[s..Math.Min(indices.Length, s + batch)];
            yield return new LabelledBatch(data.Gather(idx), [.. idx.Select(i => data.Labels![(int)i])], idx[0]);
        }
    }

    /// <summary>Largest logit change over the held-out images, and the top references of the original channel (D1 + D2 − R)
    /// and of both concept rows at the split hook.</summary>
    private static (double MaxDiff, double MaxLogit, SplitReferencesRecord[] References) Outputs(Unravel.Nn.RootModule original,
        Unravel.Nn.RootModule edited, Conv2d conv, int channel, ImageDataset data, long[] evalIdx, int batch, CancellationToken cancellationToken)
    {
        int o = conv.OutChannels, rows = o + SplitConv2d.ExtraChannels;
        string hook = conv.Path + "." + SplitConv2d.HookPoint;
        var a = new double[evalIdx.Length];
        var d1 = new double[evalIdx.Length];
        var d2 = new double[evalIdx.Length];
        double maxDiff = 0, maxLogit = 0;
        for (int s = 0; s < evalIdx.Length; s += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long[] idx = evalIdx[s..Math.Min(evalIdx.Length, s + batch)];
            Tensor images = data.Gather(idx);
            Tensor l0 = ((IImageClassifier)original).Forward(images);
            Tensor e = null!;
            Tensor l1;
            using (edited.Hooks.Add(hook, (_, t) => { e = t; }))
                l1 = ((IImageClassifier)edited).Forward(images);
            for (int i = 0; i < l0.Length; i++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs((double)l0.Data[i] - l1.Data[i]));
                maxLogit = Math.Max(maxLogit, Math.Abs((double)l0.Data[i]));
            }
            int hw = e.Dim(2) * e.Dim(3);
            for (int i = 0; i < idx.Length; i++)
            {
                double x1 = Sum(e.Data.Slice((i * rows + channel) * hw, hw)), x2 = Sum(e.Data.Slice((i * rows + o) * hw, hw));
                double r = Sum(e.Data.Slice((i * rows + o + 1) * hw, hw));
                (a[s + i], d1[s + i], d2[s + i]) = (x1 + x2 - r, x1, x2);
            }
        }
        SplitReferencesRecord Top(string name, string at, double[] values)
        {
            int[] order = [.. Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(TopReferences)];
            return new SplitReferencesRecord(name, at, [.. order.Select(i => evalIdx[i])], [.. order.Select(i => values[i])],
                [.. order.Select(i => data.Labels![(int)evalIdx[i]])]);
        }
        return (maxDiff, maxLogit,
            [Top("original", $"{conv.Path}[{channel}]", a), Top("concept 1", $"{hook}[{channel}]", d1), Top("concept 2", $"{hook}[{o}]", d2)]);
    }

    private static double Sum(ReadOnlySpan<float> v)
    {
        double s = 0;
        foreach (float x in v) s += x;
        return s;
    }

    private static JsonObject OptionsJson(SplitRequest r, SplitImagesRecord images) => new()
    {
        ["layer"] = r.Layer, ["tau"] = r.Options.Tau, ["p"] = r.Options.P, ["gamma"] = r.Options.Gamma, ["gamma_low"] = r.Options.GammaLow,
        ["channel"] = r.Channel, ["classes"] = r.Classes is { } c ? $"{c.Class1},{c.Class2}" : null, ["out"] = r.Out,
        ["train_data"] = r.TrainImages, ["train_labels"] = r.TrainLabels, ["partition"] = images.Partition, ["limit"] = r.Limit, ["batch"] = r.Batch, ["fv_steps"] = r.FeatureSteps,
    };
}
