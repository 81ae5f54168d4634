// `unravel models`: the architecture presets of the registry and the models shipped under assets/models.

using System.CommandLine;
using System.Text.Json;
using Unravel.Models;

namespace Unravel.Cli;

internal static class ModelsCommand
{
    private static readonly OutputOptions Output = new();

    public static Command Create()
    {
        Command command = new("models", "List architectures and the shipped models.") { Output.Json };
        command.SetAction(parse => Run(Output.JsonOf(parse), Console.Out));
        return command;
    }

    internal static int Run(bool json, TextWriter output)
    {
        IReadOnlyList<ShippedModel> shipped = ShippedModel.All();
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                tool_version = AtlasFormat.ToolVersion,
                architectures = ModelRegistry.Architectures.Select(a => new { name = a.Name, family = a.Family, summary = a.Summary }),
                shipped = shipped.Select(s => new { name = s.Name, architecture = s.Architecture, path = s.WeightsPath, metrics = s.Metrics }),
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        var arch = new TextTable("architecture", "family", "summary");
        foreach (Architecture a in ModelRegistry.Architectures) arch.Add(a.Name, a.Family, a.Summary);
        output.WriteLine("Architectures (load your checkpoint with --arch NAME, or pass NAME alone for random weights):");
        output.WriteLine(arch);
        if (shipped.Count == 0)
        {
            output.WriteLine("Shipped models: none yet (the defaults trained by `unravel train` will be listed here).");
            return ExitCodes.Success;
        }
        var table = new TextTable("shipped model", "architecture", "metrics", "weights");
        foreach (ShippedModel s in shipped)
            table.Add(s.Name, s.Architecture, string.Join(", ", s.Metrics.Select(kv => $"{kv.Key} {kv.Value}")), s.WeightsPath);
        output.WriteLine("Shipped models:");
        output.WriteLine(table);
        return ExitCodes.Success;
    }
}
