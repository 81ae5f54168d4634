// `unravel merge SHARD_ATLAS... --out ATLAS`: combines atlases collected with `unravel collect --shard i/n` into the
// atlas a single pass over all their inputs gives (see AtlasMerger for what is exact).

using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Unravel.Interpret.Collection;
using Unravel.Atlas;

namespace Unravel.Cli;

internal static class MergeCommand
{
    private static readonly Argument<string[]> ShardsArgument = new("shards") { Description = "Shard atlas directories (any order).", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<string> OutOption = new("--out", "-o") { Description = "Merged atlas directory to create.", Required = true };
    private static readonly Option<bool> CropsOption = new("--crops") { Description = "Images: save PNG crops of every top-k reference (re-opens the model and data)." };
    private static readonly Option<bool> ForceOption = new("--force") { Description = "Replace an existing atlas directory." };

    public static Command Create()
    {
        Command command = new("merge", "Merge shard atlases (`unravel collect --shard i/n`) into one atlas.") { ShardsArgument, OutOption, CropsOption, ForceOption };
        command.SetAction(parse => Run(parse.GetValue(ShardsArgument)!, parse.GetValue(OutOption)!, parse.GetValue(CropsOption), parse.GetValue(ForceOption), Console.Out));
        return command;
    }

    internal static int Run(IReadOnlyList<string> shards, string outPath, bool crops, bool force, TextWriter output)
    {
        if (File.Exists(outPath)) throw new UnravelUserException($"--out {outPath} is a file; an atlas is a folder.", "choose another --out");
        if (Directory.Exists(outPath) && !force)
            throw new UnravelUserException($"{outPath} already exists.", "choose another --out, or pass --force to replace it");
        List<AtlasReader> atlases = shards.Select(AtlasReader.Open).ToList();
        AtlasReader first = atlases[0];
        foreach (AtlasReader a in atlases.Skip(1))
        {
            if (a.ModelSha256 != first.ModelSha256 || a.Architecture != first.Architecture)
                throw new UnravelUserException($"{a.Root}: collected with another model than {first.Root}.", "merge only shards of one collection");
            if (a.DatasetSha256 != first.DatasetSha256)
                throw new UnravelUserException($"{a.Root}: collected on other data than {first.Root}.", "merge only shards of one collection");
        }
        CollectionResult result;
        try
        {
            result = AtlasMerger.Merge(atlases);
        }
        catch (InvalidDataException e)
        {
            throw new UnravelUserException(e.Message, "re-collect that shard");
        }
        CollectionOptions options = result.State!.Layers[0].Options;
        JsonObject m = first.Manifest;
        var provenance = new AtlasProvenance(AtlasFormat.ToolVersion, first.Architecture, first.ModelSource, first.ModelSha256,
            m["dataset"]?["source"]?.GetValue<string>() ?? "", m["dataset"]?["description"]?.GetValue<string>() ?? "", first.DatasetSha256 ?? "",
            "unravel " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1)), first.Dataset, first.ModelConfig);
        ReferenceSource? references = null;
        if (first.Dataset is not null)
        {
            AtlasSession session = AtlasSession.Open(first.Root);
            references = new ReferenceSource(session.Model.Model, session.Dataset, crops);
        }
        var extra = new JsonObject { ["merged_from"] = new JsonArray(atlases.Select(a => (JsonNode)a.Root).ToArray()) };
        AtlasWriter.Write(outPath, result with { State = null }, options, provenance, force, references, extra);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"merged {atlases.Count} shards ({result.Inputs} inputs, {result.Layers.Count} layers) → {outPath}"));
        return ExitCodes.Success;
    }
}
