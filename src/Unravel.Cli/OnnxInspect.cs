// `unravel inspect model.onnx`: an imported graph has no module tree, so inspect lists its hook points instead: every
// float ONNX tensor (by its ONNX name) with the PyTorch module paths recovered for it and its shape from one traced
// forward pass on zeros (symbolic dimensions taken as 1, or the image size for image classifiers).

using System.Globalization;
using System.Text.Json;
using Unravel.Models.Onnx;
using Unravel.Models.Vision;
using Unravel.Nn;

namespace Unravel.Cli;

internal static class OnnxInspect
{
    public static int Write(LoadedModel loaded, OnnxModel model, bool json, TextWriter output)
    {
        Dictionary<string, Tensor> inputs = DummyInputs(model);
        ActivationCache cache = model.RunWithCache(() => model.Forward(inputs).Values.First(), "**");
        var modulesOf = model.TensorOfModule.GroupBy(p => p.Value, p => p.Key).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        var moduleSet = model.TensorOfModule.Keys.ToHashSet(StringComparer.Ordinal);
        var rows = model.AllHookNames.Where(h => !moduleSet.Contains(h)).Select(t => new
        {
            tensor = t,
            modules = modulesOf.GetValueOrDefault(t) ?? [],
            shape = cache.TryGet(t, out Tensor? a) ? a!.Shape.ToArray() : null,
        }).ToList();
        long parameters = model.TrainableParameters().Sum(p => (long)p.Value.Length);
        string Io(OnnxTensorInfo i) => $"{i.Name} {i.ElementType.ToString().ToLowerInvariant()} [{string.Join(", ", i.Shape?.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "?") ?? [])}]";
        string input = string.Join(", ", inputs.Values.Select(v => v.ShapeString));

        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                tool_version = AtlasFormat.ToolVersion, architecture = loaded.Architecture, source = loaded.Source, sha256 = loaded.Sha256,
                opset = model.Opset, image_classifier = model is IImageClassifier, inputs = model.Inputs.Select(Io), outputs = model.Outputs.Select(Io),
                input, parameters, module_paths = model.TensorOfModule.Select(p => new { module = p.Key, tensor = p.Value }),
                tensors = rows,
            }, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        output.WriteLine($"onnx  ({loaded.Source})");
        output.WriteLine($"opset {model.Opset}; inputs {string.Join(", ", model.Inputs.Select(Io))}; outputs {string.Join(", ", model.Outputs.Select(Io))}"
            + (model is IImageClassifier c ? $"; image classifier, {c.Classes} classes, input {c.InputSize.Channels}×{c.InputSize.Height}×{c.InputSize.Width}" : ""));
        output.WriteLine($"{parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters; {rows.Count} tensor hooks, {moduleSet.Count} module hooks; shapes traced with input {input}");
        var table = new TextTable("hook name (ONNX tensor)", "module path (also a hook name)", "shape");
        foreach (var r in rows)
            table.Add(r.tensor, string.Join(" ", r.modules), r.shape is null ? "" : ShapeRules.Format(r.shape));
        output.Write(table);
        return ExitCodes.Success;
    }

    /// <summary>Zeros for every graph input: symbolic dimensions 1, except an image classifier's height and width.</summary>
    private static Dictionary<string, Tensor> DummyInputs(OnnxModel model)
    {
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (OnnxTensorInfo i in model.Inputs)
        {
            int[] shape = [.. (i.Shape ?? []).Select(d => d ?? 1)];
            if (model is IImageClassifier c) shape = [shape[0], c.InputSize.Channels, c.InputSize.Height, c.InputSize.Width];
            inputs[i.Name] = Tensor.Zeros(shape);
        }
        return inputs;
    }
}
