// `unravel inspect MODEL`: the module tree with checkpoint paths, output shapes (from one traced forward pass on a
// dummy input), parameter counts and hook names.

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Unravel.Models.Onnx;
using Unravel.Models.Text;
using Unravel.Models.Vision;
using Unravel.Nn;

namespace Unravel.Cli;

internal static class InspectCommand
{
    private static readonly ModelReferenceOptions Model = new("Checkpoint file, .onnx file, Hugging Face folder, or architecture name (random weights).");
    private static readonly OutputOptions Output = new();


    public static Command Create()
    {
        Command command = new("inspect", "Print the module tree: paths, output shapes, parameters and hook names.")
            { Model.Model, Model.Arch, Output.Json };
        command.SetAction(parse => Run(Model.ModelOf(parse), Model.ArchOf(parse), Output.JsonOf(parse), Console.Out));
        return command;
    }

    internal static int Run(string model, string? arch, bool json, TextWriter output)
    {
        LoadedModel loaded = ModelReference.Load(model, arch);
        if (loaded.Model is OnnxModel onnx) return OnnxInspect.Write(loaded, onnx, json, output);
        RootModule root = loaded.Model;
        (ActivationCache cache, string input) = Trace(root);
        var rows = root.Modules().Select(m => new
        {
            path = m.Path,
            type = m.GetType().Name,
            output_shape = m.Path.Length > 0 && cache.TryGet(m.Path, out Tensor? t) ? t!.Shape.ToArray() : null,
            parameters = m.Parameters().Where(p => !p.IsBuffer).Sum(p => (long)p.Value.Length),
            hooks = m.HookNames().Where(h => h != m.Path).ToArray(),
        }).ToList();
        long total = root.TrainableParameters().Sum(p => (long)p.Value.Length);

        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                tool_version = AtlasFormat.ToolVersion, architecture = loaded.Architecture, source = loaded.Source, sha256 = loaded.Sha256,
                input, parameters = total, modules = rows,
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        output.WriteLine($"{loaded.Architecture}  ({loaded.Source})");
        output.WriteLine($"{total.ToString("N0", CultureInfo.InvariantCulture)} parameters; shapes traced with input {input}");
        var table = new TextTable("module path (= checkpoint key = hook name)", "type", "output", "params", "inner hooks");
        foreach (var r in rows.Skip(1))
        {
            int depth = r.path.Count(c => c == '.');
            table.Add(new string(' ', 2 * depth) + r.path, r.type, r.output_shape is null ? "" : ShapeRules.Format(r.output_shape),
                r.parameters.ToString("N0", CultureInfo.InvariantCulture), string.Join(" ", r.hooks.Select(h => h[(h.LastIndexOf('.') + 1)..])));
        }
        output.Write(table);
        if (rows[0].hooks.Length > 0) output.WriteLine($"root hooks: {string.Join(", ", rows[0].hooks)}");
        return ExitCodes.Success;
    }

    /// <summary>Runs one forward pass on a dummy input, capturing every hook.</summary>
    private static (ActivationCache Cache, string Input) Trace(RootModule root) => root switch
    {
        IImageClassifier c => (root.RunWithCache(() => c.Forward(Tensor.Zeros(1, c.InputSize.Channels, c.InputSize.Height, c.InputSize.Width)), "**"),
            $"[1, {c.InputSize.Channels}, {c.InputSize.Height}, {c.InputSize.Width}]"),
        ILanguageModel lm => (root.RunWithCache(() => lm.Forward(new int[8], 1, 8), "**"), "8 tokens"),
        _ => throw new UnravelUserException($"inspect: {root.GetType().Name} is neither an image classifier nor a language model."),
    };
}
