// `unravel-bench models --kernels`, ONNX Runtime's side: the trace reader on a planted trace (warm-up runs dropped,
// per-batch means, kinds) and on a trace ONNX Runtime itself writes for an ONNX node test's convolution.

using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Unravel.Bench;

namespace Unravel.Cli.Tests;

public sealed class ModelsKernelsTests
{
    private const string ConvNodeTest = "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_no_padding/model.onnx";

    [Fact]
    public void ReadOrtProfile_PlantedTrace_DropsWarmUpAndAveragesPerBatch()
    {
        // Three runs; the first is warm-up. Node times in µs: the warm-up conv (900) must not count.
        object Node(long ts, string op, long dur, long[][] inputs, long[] output) => new
        {
            cat = "Node", name = $"n{ts}_kernel_time", ts, dur,
            args = new { op_name = op, input_type_shape = inputs.Select(s => new Dictionary<string, long[]> { ["float"] = s }), output_type_shape = new[] { new Dictionary<string, long[]> { ["float"] = output } } },
        };
        object Run(long ts, long dur) => new { cat = "Session", name = "model_run", ts, dur };
        long[][] conv = [[1, 64, 56, 56], [64, 64, 3, 3], [64]];
        object[] trace =
        [
            Run(0, 1000), Node(10, "Conv", 900, conv, [1, 64, 56, 56]),
            Run(2000, 500), Node(2010, "Conv", 300, conv, [1, 64, 56, 56]), Node(2320, "ReorderOutput", 40, [[1, 64, 56, 56]], [1, 64, 56, 56]),
            Run(3000, 700), Node(3010, "FusedConv", 500, conv, [1, 64, 56, 56]), Node(3520, "MaxPool", 100, [[1, 64, 56, 56]], [1, 64, 28, 28]),
        ];
        string path = Path.Combine(Path.GetTempPath(), $"unravel-ort-trace-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(trace));
        try
        {
            (IReadOnlyList<ModelsKernels.Entry> entries, double wallMs) = ModelsKernels.ReadOrtProfile(path, warmUp: 1);

            Assert.Equal(0.6, wallMs, 12);                                              // (500 + 700) / 2 µs
            ModelsKernels.Entry c = Assert.Single(entries, e => e.Kind == "conv");
            Assert.Equal("[1,64,56,56] [64,64,3,3]", c.Shapes);                         // the first two inputs
            Assert.Equal(1.0, c.Calls, 12);                                             // 2 calls over 2 runs
            Assert.Equal(0.4, c.Ms, 12);                                                // (300 + 500) / 2 µs
            Assert.Equal([1L, 64, 56, 56], c.Output!);
            Assert.Equal(0.02, Assert.Single(entries, e => e.Kind == "copy").Ms, 12);   // reorders count as copies
            Assert.Equal(0.05, Assert.Single(entries, e => e.Kind == "pooling").Ms, 12);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("[8,128,768] [2304,768]", 1024, 2304, 768)]    // our Linear: W [N, K]
    [InlineData("[8,128,768] [768,2304]", 1024, 2304, 768)]    // ONNX Runtime's MatMul: B [K, N]
    [InlineData("[16,2048] [1000,2048]", 16, 1000, 2048)]      // a classifier head, Gemm with transB
    [InlineData("[1024,768] [768,768]", 1024, 768, 768)]
    public void Mnk_ReadsBothOperandLayouts(string shapes, long m, long n, long k) =>
        Assert.Equal((m, n, k), ModelsKernels.Mnk(shapes));

    [Theory]
    [InlineData("[8,128,768]", new long[] { 8, 128, 2304 }, 1024, 2304, 768)]          // MatMul with a prepacked weight
    [InlineData("[1,512] [1000]", new long[] { 1, 1000 }, 1, 1000, 512)]               // Gemm: A and the bias listed
    [InlineData("[8,12,128,128] [8,12,128,64]", new long[] { 8, 12, 128, 64 }, 12288, 64, 128)]   // batched: same multiply-adds
    public void Mnk_WithoutAWeightShape_ReadsAAndTheOutput(string shapes, long[] output, long m, long n, long k) =>
        Assert.Equal((m, n, k), ModelsKernels.Mnk(shapes, output));

    [Theory]
    [InlineData("[8,128,768]", new long[] { 4, 128, 2304 })]   // the output's rows are not A's
    [InlineData("[768]", new long[] { 2304 })]
    public void Mnk_WithoutAWeightShape_IsNullWhenTheOutputDoesNotFit(string shapes, long[] output) => Assert.Null(ModelsKernels.Mnk(shapes, output));

    [Theory]
    [InlineData("[8,12,128,64] [8,12,64,128]")]               // batched per-head product
    [InlineData("[8,128,768] [100,200]")]                      // no dimension of B matches K
    [InlineData("[768]")]
    public void Mnk_IsNullWithoutASingleProduct(string shapes) => Assert.Null(ModelsKernels.Mnk(shapes));

    [Fact]
    public void ReadOrtProfile_TooFewRuns_SaysSo()
    {
        string path = Path.Combine(Path.GetTempPath(), $"unravel-ort-trace-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """[{"cat":"Session","name":"model_run","ts":0,"dur":5}]""");
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => ModelsKernels.ReadOrtProfile(path, warmUp: 2));
            Assert.Contains("1 runs", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [OnnxNodeTestFact]
    public void ReadOrtProfile_OnnxRuntimesOwnTrace_HasTheConvolutionWithItsShapes()
    {
        // The node test's graph: Y = Conv(x [1, 1, 7, 5], W [1, 1, 3, 3], strides 2) → [1, 1, 3, 2]; both are graph inputs.
        string prefix = Path.Combine(Path.GetTempPath(), $"unravel-ort-profile-{Guid.NewGuid():N}");
        using var options = new SessionOptions { ProfileOutputPathPrefix = prefix };
        options.EnableProfiling = true;                                                // after the prefix, which it takes
        using var session = new InferenceSession(ConvNodeTest, options);
        float[] x = Enumerable.Range(0, 35).Select(i => (float)i).ToArray(), w = Enumerable.Repeat(1f, 9).ToArray();
        using OrtValue xv = OrtValue.CreateTensorValueFromMemory(x, [1, 1, 7, 5]), wv = OrtValue.CreateTensorValueFromMemory(w, [1, 1, 3, 3]);
        for (int i = 0; i < 3; i++)
        {
            using IDisposableReadOnlyCollection<OrtValue> y = session.Run(new RunOptions(), ["x", "W"], [xv, wv], ["y"]);
            Assert.Equal(54f, y[0].GetTensorDataAsSpan<float>()[0]);                  // Σ of x[0..3, 0..3]: a real run
        }
        string trace = session.EndProfiling();
        try
        {
            Assert.StartsWith(prefix, trace);                                           // not the default name in the working folder
            (IReadOnlyList<ModelsKernels.Entry> entries, double wallMs) = ModelsKernels.ReadOrtProfile(trace, warmUp: 1);

            ModelsKernels.Entry conv = Assert.Single(entries, e => e.Kind == "conv");
            Assert.Equal("[1,1,7,5] [1,1,3,3]", conv.Shapes);
            Assert.Equal(1.0, conv.Calls, 12);
            Assert.Equal([1L, 1, 3, 2], conv.Output!);
            Assert.InRange(conv.Ms, 0.0, wallMs);
        }
        finally
        {
            File.Delete(trace);
        }
    }

    /// <summary>Skipped with the reason where the Debian package libonnx-testdata (the ONNX node tests) is absent.</summary>
    private sealed class OnnxNodeTestFactAttribute : FactAttribute
    {
        public OnnxNodeTestFactAttribute()
        {
            if (!File.Exists(ConvNodeTest)) Skip = $"{ConvNodeTest} is absent: install libonnx-testdata (the ONNX node tests) to read a real ONNX Runtime trace";
        }
    }
}
