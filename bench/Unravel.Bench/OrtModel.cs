// The ONNX Runtime side of `unravel-bench models`: one InferenceSession per (model, thread count) over the ONNX file
// that the PyTorch worker exported from the very model it times (tools/bench/torch_worker.py, "export"), on ONNX
// Runtime's CPU execution provider with every graph optimisation on (ORT_ENABLE_ALL: constant folding, conv + BN +
// activation fusion, NCHWc layout transformation), sequential execution, IntraOpNumThreads = the thread count and one
// inter-op thread. Inputs are bound once per workload as OrtValues over our own input arrays, so ONNX Runtime sees the
// same images and tokens as our engine and the outputs can be compared.
// Reference: https://onnxruntime.ai/docs/performance/tune-performance/threading.html and
// https://onnxruntime.ai/docs/performance/model-optimizations/graph-optimizations.html

using Microsoft.ML.OnnxRuntime;

namespace Unravel.Bench;

/// <summary>An exported model loaded into ONNX Runtime at one thread count.</summary>
internal sealed class OrtModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _input, _output;
    private readonly List<OrtValue> _inputs = [];
    private readonly RunOptions _run = new();

    /// <summary>Loads <paramref name="onnxPath"/> with <paramref name="threads"/> intra-op threads.</summary>
    /// <param name="onnxPath">The worker's export of <paramref name="model"/>.</param>
    /// <param name="model">The registry model name; GPT-2's graph input is "tokens", the vision models' "input"
    /// (the names torch_worker.py exports under), the output "logits".</param>
    /// <param name="threads">Intra-op threads (ONNX Runtime counts the calling thread among them).</param>
    /// <param name="profilePrefix">When given, ONNX Runtime's profiler records every node's kernel time into a JSON file
    /// starting with this path (<see cref="EndProfiling"/> returns it).</param>
    public OrtModel(string onnxPath, string model, int threads, string? profilePrefix = null)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        if (profilePrefix is not null)
        {
            options.ProfileOutputPathPrefix = profilePrefix;   // first: enabling profiling takes the prefix set at that moment
            options.EnableProfiling = true;
        }
        _session = new InferenceSession(onnxPath, options);
        _input = model == "gpt2" ? "tokens" : "input";
        _output = "logits";
    }

    /// <summary>Runtime version, e.g. "1.32.0".</summary>
    public static string Version => OrtEnv.Instance().GetVersionString();

    /// <summary>A forward over <paramref name="images"/> ([N, 3, H, W] row-major), bound once.</summary>
    public Action Bind(float[] images, long[] shape) => Bind(OrtValue.CreateTensorValueFromMemory(images, shape));

    /// <summary>A forward over <paramref name="tokens"/> ([B, T] token ids), bound once.</summary>
    public Action Bind(int[] tokens, long[] shape) =>
        Bind(OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(tokens, t => (long)t), shape));

    /// <summary>One forward over <paramref name="images"/>; the output copied out (for the comparison with our engine).</summary>
    public float[] Forward(float[] images, long[] shape)
    {
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(images, shape);
        return Forward(value);
    }

    /// <summary>One forward over <paramref name="tokens"/>; the output copied out.</summary>
    public float[] Forward(int[] tokens, long[] shape)
    {
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(tokens, t => (long)t), shape);
        return Forward(value);
    }

    private float[] Forward(OrtValue value)
    {
        using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(_run, [_input], [value], [_output]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private Action Bind(OrtValue value)
    {
        _inputs.Add(value);
        string[] inputs = [_input], outputs = [_output];
        OrtValue[] values = [value];
        return () =>
        {
            using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(_run, inputs, values, outputs);
        };
    }

    /// <summary>Stops the profiler and returns the path of its JSON trace (Chrome trace format).</summary>
    public string EndProfiling() => _session.EndProfiling();

    public void Dispose()
    {
        foreach (OrtValue v in _inputs) v.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}
