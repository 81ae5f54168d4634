// `unravel merge SHARD_ATLAS... --out ATLAS`: combines atlases collected with `unravel collect --shard i/n` into the
// atlas a single pass over all their inputs gives (MergeStage; see AtlasMerger for what is exact).

using System.CommandLine;
using System.Globalization;
using Unravel.Atlas.Stages;

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
        if (Directory.Exists(outPath) && !force)
            throw new UnravelUserException($"{outPath} already exists.", "choose another --out, or pass --force to replace it");
        MergeStageResult merged = new MergeStage().Run(new MergeRequest(shards, outPath) { Crops = crops, Force = force });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"merged {shards.Count} shards ({merged.Result.Inputs} inputs, {merged.Result.Layers.Count} layers) → {outPath}"));
        return ExitCodes.Success;
    }
}
