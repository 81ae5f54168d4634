// `unravel merge SHARD_ATLAS... --out ATLAS`: combines atlases collected with `unravel collect --shard i/n` into the
// atlas a single pass over all their inputs gives (MergeStage; see AtlasMerger for what is exact).

using System.CommandLine;
using System.Globalization;
using Unravel.Atlas.Stages;

namespace Unravel.Cli;

internal static class MergeCommand
{
    private static readonly Argument<string[]> ShardsArgument = new("shards") { Description = "Shard atlas directories (any order).", Arity = ArgumentArity.OneOrMore };
    private static readonly AtlasOutputOptions AtlasOut = new("Merged atlas directory to create.");
    private static readonly Option<bool> CropsOption = new("--crops") { Description = "Images: save PNG crops of every top-k reference (re-opens the model and data)." };

    public static Command Create()
    {
        Command command = new("merge", "Merge shard atlases (`unravel collect --shard i/n`) into one atlas.") { ShardsArgument, AtlasOut.Out, CropsOption, AtlasOut.Force };
        command.SetAction(parse => Run(parse.GetValue(ShardsArgument)!, AtlasOut.OutOf(parse), parse.GetValue(CropsOption), AtlasOut.ForceOf(parse), Console.Out));
        return command;
    }

    internal static int Run(IReadOnlyList<string> shards, string outPath, bool crops, bool force, TextWriter output)
    {
        AtlasOutputOptions.CheckFree(outPath, force);
        MergeStageResult merged = new MergeStage().Run(new MergeRequest(shards, outPath) { Crops = crops, Force = force });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"merged {shards.Count} shards ({merged.Result.Inputs} inputs, {merged.Result.Layers.Count} layers) → {outPath}"));
        return ExitCodes.Success;
    }
}
