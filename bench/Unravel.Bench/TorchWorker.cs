// The PyTorch side of `unravel-bench models`: a persistent tools/bench/torch_worker.py process (copied next to the
// CLI as bench/torch_worker.py) that answers one JSON request per line. It is started in PyTorch's best CPU
// configuration (DESIGN.md §4): torch and OpenMP threads = the benchmark's thread count, the OpenMP build of OpenBLAS
// (so its thread pool and torch's do not fight), and glibc malloc keeping freed memory (no page-fault storm on every
// large allocation). OpenMP's wait policy is chosen by the caller (see Start).
//
// Between requests the worker is stopped with SIGSTOP and continued with SIGCONT for the next one. Under
// OMP_WAIT_POLICY=active an idle OpenMP worker spins for seconds; left running, it took one of the two cores from our
// engine while ours was being timed and halved our 2-thread figures (measured: ResNet-18 batch 16, 23.2 → 31.7 images/s).

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Unravel.Bench;

/// <summary>A running torch_worker.py process.</summary>
internal sealed class TorchWorker : IDisposable
{
    /// <summary>Overrides the Python interpreter (default /usr/bin/python3, Debian's, which has python3-torch).</summary>
    public const string PythonVariable = "UNRAVEL_TORCH_PYTHON";

    /// <summary>Where Debian's libopenblas0-openmp puts its libopenblas.so.0.</summary>
    private const string OpenMpOpenBlasDir = "/usr/lib/x86_64-linux-gnu/openblas-openmp";

    /// <summary>glibc malloc: never return freed memory to the kernel with munmap/trim (DESIGN.md §4).</summary>
    private const string MallocTunables = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1099511627776";

    private readonly Process _process;

    private readonly bool _optimized;

    private TorchWorker(Process process, string version, bool optimized)
    {
        _process = process;
        Version = version;
        _optimized = optimized;
    }

    /// <summary>torch.__version__ as the worker reported it.</summary>
    public string Version { get; }

    private static string Python => Environment.GetEnvironmentVariable(PythonVariable) is { Length: > 0 } p ? p : "/usr/bin/python3";

    private static string Script => Path.Combine(AppContext.BaseDirectory, "bench", "torch_worker.py");

    /// <summary>Null when the worker can run here, else a sentence saying why not.</summary>
    public static string? Unavailable()
    {
        if (!File.Exists(Script)) return $"the PyTorch worker script is missing ({Script}).";
        try
        {
            using Process? p = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch, torchvision"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            if (p is null) return $"{Python} could not be started.";
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null
                : $"{Python} cannot import torch and torchvision (Debian: apt-get install python3-torch python3-torchvision).";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Python} could not be started ({e.Message}).";
        }
    }

    /// <summary>Starts a worker using <paramref name="threads"/> threads and waits until it has imported torch.</summary>
    /// <param name="threads">torch.set_num_threads and OMP_NUM_THREADS.</param>
    /// <param name="waitPolicy">OMP_WAIT_POLICY, "active" (spin at barriers: best on an idle host) or "passive" (sleep:
    /// on an oversubscribed host spinning threads wait for each other's time slices, measured 10× slower at batch 1).</param>
    /// <param name="optimized">Run forward workloads through torch.jit.optimize_for_inference of the traced model instead
    /// of the eager modules.</param>
    /// <exception cref="InvalidOperationException">The process did not start or did not report ready.</exception>
    public static TorchWorker Start(int threads, string waitPolicy, bool optimized = false)
    {
        var info = new ProcessStartInfo(Python, [Script, threads.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        string t = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["OMP_NUM_THREADS"] = t;
        info.Environment["OPENBLAS_NUM_THREADS"] = t;
        info.Environment["MKL_NUM_THREADS"] = t;
        info.Environment["GLIBC_TUNABLES"] = MallocTunables;
        info.Environment["OMP_WAIT_POLICY"] = waitPolicy.ToUpperInvariant();
        if (Directory.Exists(OpenMpOpenBlasDir))
        {
            string? old = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            info.Environment["LD_LIBRARY_PATH"] = string.IsNullOrEmpty(old) ? OpenMpOpenBlasDir : OpenMpOpenBlasDir + ":" + old;
        }
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"bench models: could not start {Python} {Script}.");
        try
        {
            using JsonDocument ready = ReadAnswer(process);
            string version = ready.RootElement.TryGetProperty("torch", out JsonElement v) ? v.GetString() ?? "?" : "?";
            Signal(process, SigStop);
            return new TorchWorker(process, version, optimized);
        }
        catch
        {
            Stop(process);
            throw;
        }
    }

    /// <summary>Runs <paramref name="w"/> <paramref name="runs"/> times in the worker; returns the summed wall and process CPU
    /// seconds of the runs.</summary>
    /// <exception cref="InvalidOperationException">The worker answered with an error or exited.</exception>
    public (double Wall, double Cpu) Run(ModelsBench.Workload w, int runs)
    {
        string request = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["workload"] = w.TorchName, ["batch"] = w.Batch, ["repeats"] = runs, ["optimized"] = _optimized,
        });
        using JsonDocument answer = Ask(request);
        return ParseRunAnswer(answer.RootElement, w);
    }

    /// <summary>The summed wall and CPU seconds of a run answer, checking that it ran <paramref name="w"/>'s items per run.</summary>
    /// <exception cref="InvalidOperationException">The answer ran another number of items per run.</exception>
    internal static (double Wall, double Cpu) ParseRunAnswer(JsonElement answer, ModelsBench.Workload w)
    {
        double total = 0, cpu = 0;
        foreach (JsonElement s in answer.GetProperty("seconds").EnumerateArray()) total += s.GetDouble();
        foreach (JsonElement s in answer.GetProperty("cpu_seconds").EnumerateArray()) cpu += s.GetDouble();
        int items = answer.GetProperty("items_per_run").GetInt32();
        if (items != w.Items)
            throw new InvalidOperationException($"bench models: the PyTorch worker ran {items} items per run of {w.TorchName}, expected {w.Items}.");
        return (total, cpu);
    }

    /// <summary>Writes the model the worker times as ONNX and as a state_dict under <paramref name="directory"/>.</summary>
    /// <returns>The ONNX file and the state_dict file.</returns>
    /// <exception cref="InvalidOperationException">The export failed (the worker's message is included).</exception>
    public (string Onnx, string Weights) Export(string model, string directory)
    {
        using JsonDocument answer = Ask(JsonSerializer.Serialize(new Dictionary<string, object> { ["export"] = model, ["dir"] = directory }));
        return (answer.RootElement.GetProperty("onnx").GetString()!, answer.RootElement.GetProperty("weights").GetString()!);
    }

    /// <summary>The worker process's peak resident set (getrusage ru_maxrss) in kB.</summary>
    public long PeakRssKb()
    {
        using JsonDocument answer = Ask("{\"peak\": true}");
        return answer.RootElement.GetProperty("max_rss_kb").GetInt64();
    }

    /// <summary>Continues the worker, sends one request line, reads the answer and stops the worker again.</summary>
    private JsonDocument Ask(string request)
    {
        Signal(_process, SigCont);
        try
        {
            _process.StandardInput.WriteLine(request);
            _process.StandardInput.Flush();
            return ReadAnswer(_process);
        }
        finally
        {
            Signal(_process, SigStop);
        }
    }

    private static JsonDocument ReadAnswer(Process process)
    {
        string line = process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException($"bench models: the PyTorch worker exited (code {(process.WaitForExit(2000) ? process.ExitCode : -1)}); see its messages above.");
        JsonDocument doc = JsonDocument.Parse(line);
        if (doc.RootElement.TryGetProperty("error", out JsonElement error))
        {
            doc.Dispose();
            throw new InvalidOperationException($"bench models: the PyTorch worker failed: {error.GetString()}");
        }
        return doc;
    }

    public void Dispose() => Stop(_process);

    private const int SigCont = 18, SigStop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Stops or continues the worker (Linux signal numbers; elsewhere the worker simply keeps running).</summary>
    private static void Signal(Process process, int signal)
    {
        if (!OperatingSystem.IsLinux() || process.HasExited) return;
        Kill(process.Id, signal);
    }

    private static void Stop(Process process)
    {
        try
        {
            Signal(process, SigCont);
            process.StandardInput.Close();
            if (!process.WaitForExit(5000)) process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
    }
}
