// Peak memory of each engine alone, for `unravel-bench models`: every engine runs one workload in a process of its own
// and reports that process's resident-set high-water mark, VmHWM in /proc/self/status (ours and ONNX Runtime each in a
// child `unravel-bench peak-memory` process, PyTorch in a fresh worker). Not getrusage's ru_maxrss: Linux carries that
// over execve, so a child would report the benchmark process's own peak. The figure includes
// each runtime's own baseline (the .NET runtime, or Python with torch imported) and the model's weights, so it is what
// a user's process would need for that workload. Linux only; elsewhere the figures are absent.
// Reference: proc(5), /proc/pid/status VmHWM; getrusage(2) ru_maxrss.

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Unravel.Bench;

/// <summary>Runs one engine on one workload in a child process and reads its peak resident set.</summary>
internal static class PeakMemory
{
    /// <summary>Runs per measurement: one warm-up and two more, so pooled buffers reach their steady size.</summary>
    public const int Runs = 3;

    private static readonly Option<string> EngineOption = new("--engine") { Description = "ours or ort.", Required = true };
    private static readonly Option<string> WorkloadOption = new("--workload") { Description = "A workload name of `models`.", Required = true };
    private static readonly Option<int> ThreadsOption = new("--threads") { Description = "Thread count.", DefaultValueFactory = _ => 1 };
    private static readonly Option<string?> WeightsOption = new("--weights") { Description = "state_dict exported by the PyTorch worker." };
    private static readonly Option<string?> OnnxOption = new("--onnx") { Description = "ONNX file exported by the PyTorch worker (ort)." };

    /// <summary>The hidden child command: runs the workload <see cref="Runs"/> times, prints {"maxRssKb": N}.</summary>
    public static Command Create()
    {
        Command command = new("peak-memory", "Internal to `models`: one engine, one workload, alone; prints the peak resident set.")
        {
            EngineOption, WorkloadOption, ThreadsOption, WeightsOption, OnnxOption,
        };
        command.Hidden = true;
        command.SetAction(parse => RunChild(parse.GetValue(EngineOption)!, parse.GetValue(WorkloadOption)!, parse.GetValue(ThreadsOption),
            parse.GetValue(WeightsOption), parse.GetValue(OnnxOption), Console.Out));
        return command;
    }

    /// <summary>"VmHWM:   123456 kB" in a /proc/pid/status text → 123456, or null where the line is absent.</summary>
    public static long? ParseHighWaterKb(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        foreach (string line in status.Split('\n'))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            string[] f = line["VmHWM:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 2 && f[1] == "kB" && long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kb)) return kb;
        }
        return null;
    }

    /// <summary>This process's peak resident set in kB, or null off Linux.</summary>
    public static long? SelfHighWaterKb() =>
        File.Exists("/proc/self/status") ? ParseHighWaterKb(File.ReadAllText("/proc/self/status")) : null;

    /// <summary>Starts `unravel-bench peak-memory` for <paramref name="engine"/> and returns the child's peak in kB, or
    /// null where it could not report one (the reason goes to <paramref name="note"/>).</summary>
    public static long? Measure(string engine, ModelsBench.Workload w, int threads, string? weights, string? onnx, out string? note)
    {
        note = null;
        if (!OperatingSystem.IsLinux() || Environment.ProcessPath is not string exe)
        {
            note = "peak memory needs Linux /proc.";
            return null;
        }
        var args = new List<string>();
        // Under `dotnet unravel-bench.dll` the process is the dotnet host: the child needs the assembly path first.
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") args.Add(typeof(PeakMemory).Assembly.Location);
        args.AddRange(["peak-memory", "--engine", engine, "--workload", w.Name, "--threads", threads.ToString(CultureInfo.InvariantCulture)]);
        if (weights is not null) args.AddRange(["--weights", weights]);
        if (onnx is not null) args.AddRange(["--onnx", onnx]);
        using Process child = Process.Start(new ProcessStartInfo(exe, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"bench models: could not start {exe} for the peak-memory run.");
        Task<string> error = child.StandardError.ReadToEndAsync();
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (child.ExitCode != 0 || last is null || !last.StartsWith('{'))
        {
            note = $"{engine} {w.Name}: the peak-memory child exited {child.ExitCode}: {error.Result.Trim().Split('\n')[0]}";
            return null;
        }
        using JsonDocument doc = JsonDocument.Parse(last);
        return doc.RootElement.GetProperty("maxRssKb").GetInt64();
    }

    private static int RunChild(string engine, string workload, int threads, string? weights, string? onnx, TextWriter output)
    {
        ModelsBench.Workload w = ModelsBench.AllWorkloads.FirstOrDefault(x => x.Name == workload)
            ?? throw new UnravelException($"--workload: '{workload}' is not a workload.");
        if (engine is not ("ours" or "ort")) throw new UnravelException($"--engine: '{engine}' is not an engine.", "Use ours or ort.");
        Tensors.Parallelism.Threads = threads;
        Action run;
        IDisposable owner;
        switch (engine)
        {
            case "ours":
                var models = new ModelsBench.OurModels(weights is null ? null : new Dictionary<string, string> { [w.Model] = weights });
                // As `models` times it and the pipeline runs it: one arena scope per batch, buffers reused between batches.
                Action pass = models.Run(w);
                var arena = new TensorArena();
                run = () => { using (arena.Begin()) pass(); };
                owner = models;
                break;
            case "ort":
                var ort = new OrtModel(onnx ?? throw new UnravelException("--onnx: required for --engine ort."), w.Model, threads);
                run = ModelsBench.BindOrt(ort, w);
                owner = ort;
                break;
            default:
                throw new InvalidOperationException($"peak-memory: engine '{engine}' was not checked.");
        }
        using (owner)
        {
            for (int i = 0; i < Runs; i++) run();
            output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, long> { ["maxRssKb"] = SelfHighWaterKb() ?? -1 }));
        }
        return ExitCodes.Success;
    }
}
