// The concept matrices linear explanations are fitted on (Oikarinen & Weng 2024, ICML, §3), built for an atlas's
// collected inputs: "labels" (LE(Label): the dataset's labels as one-hot classes plus the WordNet superclasses of the
// shipped table whose classes match), "model:NAME" (LE(Model), our offline stand-in for LE(SigLIP): an independent
// classifier's calibrated class and superclass probabilities) and "tokens" (per-token Brown tags, tag families, WordNet
// supersenses, frequent token identities and genres for text atlases of the Brown corpus).

using System.Runtime.CompilerServices;
using Unravel.Interpret.LinearExplanations;
using Unravel.Nn;

namespace Unravel.Atlas.Stages;

/// <summary>Builds a named concept set for an atlas.</summary>
public static class ConceptSets
{
    /// <summary>The accepted forms, for hints.</summary>
    public const string Forms = "labels, model:NAME (a shipped model such as fashion-judge-cnn, or a classifier's weights) or tokens";

    /// <summary>Checks the syntax of a concept-set name.</summary>
    /// <exception cref="UnravelException">Not one of <see cref="Forms"/>.</exception>
    public static void Validate(string set)
    {
        if (set is "labels" or "tokens") return;
        if (set.StartsWith("model:", StringComparison.Ordinal) && set.Length > "model:".Length) return;
        throw new UnravelException($"explain: unknown concept set '{set}'.", $"use {Forms}");
    }

    /// <summary>The concept matrix of <paramref name="set"/> over the first <paramref name="inputs"/> inputs (rows as in
    /// <see cref="NeuronActivations"/>); model concepts are calibrated on the split's validation rows.</summary>
    /// <exception cref="UnravelException">The set does not fit the atlas (labels without labels, tokens without Brown text).</exception>
    public static ConceptMatrix Build(AtlasSession session, string set, int inputs, DataSplit split, int batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(split);
        Validate(set);
        // Built once per session, set, input count and split seed: the demo and `score` ask again for each layer.
        Dictionary<string, ConceptMatrix> built = s_cache.GetOrCreateValue(session);
        string key = $"{set}|{inputs}|{split.Seed}";
        lock (built)
        {
            if (built.TryGetValue(key, out ConceptMatrix? cached)) return cached;
        }
        ConceptMatrix matrix = Create(session, set, inputs, split, batch, cancellationToken);
        lock (built) built[key] = matrix;
        return matrix;
    }

    private static readonly ConditionalWeakTable<AtlasSession, Dictionary<string, ConceptMatrix>> s_cache = new();

    private static ConceptMatrix Create(AtlasSession session, string set, int inputs, DataSplit split, int batch, CancellationToken cancellationToken)
    {
        if (set == "tokens") return Tokens(session, inputs);
        (ConceptMatrix labels, Superclass[] supers) = Labels(session, inputs, set);
        return set == "labels" ? labels : Model(session, set["model:".Length..], labels, supers, inputs, split, batch, cancellationToken);
    }

    private static (ConceptMatrix Matrix, Superclass[] Superclasses) Labels(AtlasSession session, int inputs, string set)
    {
        ICollectionDataset data = session.Dataset;
        if (data is TokenWindowDataset)
            throw new AnalysisException($"explain: --concepts {set} needs labelled images; {session.Root} was collected from text.", "use --concepts tokens for a Brown text atlas");
        IReadOnlyList<int> labels = data.Labels ?? throw new AnalysisException($"explain: the dataset of {session.Root} has no labels, which --concepts {set} needs.",
            "collect the atlas with --labels FILE (IDX) or from class folders");
        int classes = labels.Take(inputs).Max() + 1;
        IReadOnlyList<string> names = session.ClassNames is { } n && n.Count >= classes ? n : [.. Enumerable.Range(0, classes).Select(c => $"class {c}")];
        Superclass[] supers = [];
        string source = "dataset labels";
        foreach (string file in Directory.Exists(Assets.PathOf("concepts")) ? Directory.EnumerateFiles(Assets.PathOf("concepts"), "*.json").Order() : Enumerable.Empty<string>())
        {
            (string[] tableClasses, Superclass[] tableSupers) = LabelConcepts.ReadTable(file);
            if (tableClasses.SequenceEqual(names, StringComparer.OrdinalIgnoreCase))
            {
                supers = tableSupers;
                source = $"dataset labels + WordNet 3.0 superclasses ({Path.GetFileName(file)})";
                break;
            }
        }
        return (LabelConcepts.Build([.. labels.Take(inputs)], names, supers, source), supers);
    }

    private static ConceptMatrix Model(AtlasSession session, string reference, ConceptMatrix labels, Superclass[] supers, int inputs, DataSplit split, int batch,
        CancellationToken cancellationToken)
    {
        LoadedModel loaded = ModelReference.Load(reference);
        RootModule model = loaded.Model;
        model.Eval();
        ICollectionDataset data = session.Dataset;
        int classes = labels.Columns - supers.Length;
        var scores = new float[(long)inputs * classes];
        using (model.FreezeWeights())
            for (int start = 0; start < inputs; start += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(batch, inputs - start);
                Tensor logits = data.Forward(model, start, count);
                if (logits.Rank != 2 || logits.Shape[1] != classes)
                    throw new AnalysisException($"explain: model '{reference}' gives [{string.Join(", ", logits.Shape.ToArray())}] per batch; the labels have {classes} classes.",
                        "pass a classifier trained on the same classes");
                float[] z = logits.ToArray();
                for (int i = 0; i < count; i++)
                {
                    Span<float> row = z.AsSpan(i * classes, classes);
                    float max = float.NegativeInfinity;
                    foreach (float v in row) max = Math.Max(max, v);
                    double sum = 0;
                    foreach (float v in row) sum += Math.Exp(v - max);
                    for (int c = 0; c < classes; c++) scores[(long)(start + i) * classes + c] = (float)(Math.Exp(row[c] - max) / sum);
                }
            }
        float[] s = ModelConcepts.WithSuperclasses(scores, classes, supers);
        SigmoidCalibration calibration = ModelConcepts.Calibrate(s, labels, split.Val);
        return ModelConcepts.Build(s, labels.Names, calibration, $"softmax of {reference} ({loaded.Architecture}) + superclass sums");
    }

    private static ConceptMatrix Tokens(AtlasSession session, int inputs)
    {
        if (session.Atlas.Dataset is not { Kind: "brown" } spec || session.Dataset is not TokenWindowDataset windows)
            throw new AnalysisException($"explain: --concepts tokens needs a text atlas of the tagged Brown corpus; {session.Root} is not one.",
                "use --concepts labels or model:NAME for labelled images");
        var subset = new TokenWindowDataset(windows.Tokens[..(inputs * windows.Length)].ToArray(), windows.Length, windows.Description);
        var tokenizer = Assets.Tokenizer();
        TokenAnnotation[] annotations = BrownTokenAnnotator.Annotate(spec.Path, tokenizer, subset);
        return TokenConcepts.Build(annotations, tokenizer, SupersenseTable.Read(Assets.PathOf("concepts", "brown-supersenses.tsv")), 50,
            $"Brown annotations of {Path.GetFileName(spec.Path.TrimEnd('/'))}");
    }
}
