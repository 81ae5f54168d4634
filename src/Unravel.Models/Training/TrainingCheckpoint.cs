// A resumable snapshot of a run, in a folder: weights.safetensors (the state dict, buffers included, f32),
// optimizer.safetensors (momenta / moments, "slot/parameter" keys; exact floats, unlike JSON), and state.json
// (step, epoch, seed, batch, optimizer step count, the position of the random streams, time spent). state.json is
// written last, so a folder without it (or with an older one) never describes half-written tensors.

using System.Text.Json;
using System.Text.Json.Serialization;
using Unravel.IO;
using Unravel.Nn.Optim;

namespace Unravel.Models.Training;

/// <summary>Saves and restores the full training state.</summary>
public static class TrainingCheckpoint
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>Writes a checkpoint of <paramref name="model"/> and <paramref name="optimizer"/> into <paramref name="folder"/>.</summary>
    public static void Save(string folder, RootModule model, Optimizer optimizer, TrainingState state)
    {
        Directory.CreateDirectory(folder);
        SafeTensors.Write(Path.Combine(folder, "weights.safetensors"), model.StateDict());
        SafeTensors.Write(Path.Combine(folder, "optimizer.safetensors"), optimizer.ExportState());
        string tmp = Path.Combine(folder, "state.json.tmp");
        File.WriteAllText(tmp, JsonSerializer.Serialize(state, s_json));
        File.Move(tmp, Path.Combine(folder, "state.json"), overwrite: true);
    }

    /// <summary>Writes the selected (best validation) weights of an early-stopping run as best.safetensors.</summary>
    public static void SaveBest(string folder, IReadOnlyDictionary<string, float[]> weights)
    {
        Directory.CreateDirectory(folder);
        SafeTensors.Write(Path.Combine(folder, "best.safetensors"),
            weights.ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value, kv.Value.Length)));
    }

    /// <summary>The weights <see cref="SaveBest"/> wrote, flat by path.</summary>
    /// <exception cref="CheckpointFormatException">The file is malformed.</exception>
    public static Dictionary<string, float[]> LoadBest(string folder)
    {
        using SafeTensors best = SafeTensors.Read(Path.Combine(folder, "best.safetensors"));
        return best.ReadAll().ToDictionary(kv => kv.Key, kv => kv.Value.Data.ToArray());
    }

    /// <summary>Copies flat per-path values (a snapshot or <see cref="LoadBest"/>) into the model's parameters and buffers.</summary>
    public static void Restore(RootModule model, IReadOnlyDictionary<string, float[]> weights)
    {
        foreach (Parameter p in model.Parameters()) weights[p.Path].CopyTo(p.Value.Data);
    }

    /// <summary>True when <paramref name="folder"/> holds a complete checkpoint.</summary>
    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, "state.json"));

    /// <summary>Loads the checkpoint into <paramref name="model"/> (values copied in place) and <paramref name="optimizer"/>.</summary>
    /// <exception cref="CheckpointFormatException">A file is malformed.</exception>
    /// <exception cref="ArgumentException">A tensor is missing or has another shape.</exception>
    public static TrainingState Load(string folder, RootModule model, Optimizer optimizer)
    {
        string statePath = Path.Combine(folder, "state.json");
        TrainingState state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(statePath))
            ?? throw new CheckpointFormatException(statePath, "root", "state.json is empty");
        using (SafeTensors weights = SafeTensors.Read(Path.Combine(folder, "weights.safetensors")))
            CopyInto(model, weights.ReadAll(), weights.Location);
        using (SafeTensors opt = SafeTensors.Read(Path.Combine(folder, "optimizer.safetensors")))
            optimizer.ImportState(opt.ReadAll(), state.OptimizerSteps);
        return state;
    }

    /// <summary>Copies <paramref name="tensors"/> into the model's parameters and buffers by path.</summary>
    /// <exception cref="ArgumentException">A parameter is missing or mis-shaped.</exception>
    public static void CopyInto(RootModule model, IReadOnlyDictionary<string, Tensor> tensors, string description)
    {
        foreach (Parameter p in model.Parameters())
        {
            if (!tensors.TryGetValue(p.Path, out Tensor? t) || !t.Shape.SequenceEqual(p.Value.Shape))
                throw new ArgumentException($"checkpoint {description}: {p.Path} {p.Value.ShapeString} is missing or has another shape.");
            t.Data.CopyTo(p.Value.Data);
        }
    }
}
