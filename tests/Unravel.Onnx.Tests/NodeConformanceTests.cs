// Conformance of the ONNX importer with the ONNX backend node tests (Debian's libonnx-testdata): every test of a
// supported operator passes, or is listed below with the reason it is not expected to.

using Unravel.Models.Onnx;
using Xunit.Abstractions;

namespace Unravel.Onnx.Tests;

public sealed class NodeConformanceTests(ITestOutputHelper output)
{
    /// <summary>Tests of supported operators that are known not to pass, with the reason.</summary>
    private static readonly Dictionary<string, string> s_exceptions = new(StringComparer.Ordinal)
    {
        ["test_averagepool_3d_default"] = "3-D pooling: the engine has 1-D and 2-D pooling kernels only.",
        ["test_maxpool_3d_default"] = "3-D pooling: the engine has 1-D and 2-D pooling kernels only.",
        ["test_convtranspose_3d"] = "3-D transposed convolution: 1-D and 2-D only.",
        ["test_batchnorm_epsilon_training_mode"] = "training-mode BatchNormalization (batch statistics, running-stat outputs): the importer runs exported inference graphs.",
        ["test_batchnorm_example_training_mode"] = "training-mode BatchNormalization: inference graphs only.",
        ["test_training_dropout"] = "Dropout with training_mode=true draws random masks; inference graphs only.",
        ["test_training_dropout_default"] = "Dropout with training_mode=true; inference graphs only.",
        ["test_training_dropout_default_mask"] = "Dropout with training_mode=true; inference graphs only.",
        ["test_training_dropout_mask"] = "Dropout with training_mode=true; inference graphs only.",
        ["test_training_dropout_zero_ratio"] = "Dropout with training_mode=true; inference graphs only.",
        ["test_training_dropout_zero_ratio_mask"] = "Dropout with training_mode=true; inference graphs only.",
        ["test_cast_BFLOAT16_to_FLOAT"] = "the test data (ONNX 1.12) stores the bfloat16 tensor with element type UINT16, so its raw bits are read as integers.",
        ["test_cast_FLOAT_to_BFLOAT16"] = "the expected bfloat16 output is stored with element type UINT16 (raw bits), not comparable as numbers.",
        ["test_cast_FLOAT_to_STRING"] = "string tensors are not supported (the engine computes on numbers).",
        ["test_cast_STRING_to_FLOAT"] = "string tensors are not supported.",
        ["test_identity_opt"] = "optional-typed values are not supported (tensors only).",
        ["test_identity_sequence"] = "sequence-typed values are not supported (tensors only).",
        ["test_maxpool_with_argmax_2d_precomputed_pads"] = "the Indices output of MaxPool is not supported.",
        ["test_maxpool_with_argmax_2d_precomputed_strides"] = "the Indices output of MaxPool is not supported.",
        ["test_range_float_type_positive_delta_expanded"] = "the expanded form uses the Loop control-flow operator, which is not supported.",
        ["test_range_int32_type_negative_delta_expanded"] = "the expanded form uses Loop, which is not supported.",
    };

    private sealed class NodeFactAttribute : FactAttribute
    {
        public NodeFactAttribute()
        {
            if (!OnnxNodeTestData.Present) Skip = OnnxNodeTestData.SkipReason;
        }
    }

    [NodeFact]
    public void NodeTests_SupportedOperators_PassOrAreListed()
    {
        var supported = OnnxOperators.Supported.ToHashSet();
        var results = new List<OnnxNodeTestData.Result>();
        foreach (string dir in Directory.GetDirectories(OnnxNodeTestData.Root).Order())
        {
            string op = OnnxNodeTestData.OperatorOf(dir);
            if (!supported.Contains(op)) continue;
            results.Add(OnnxNodeTestData.Run(dir));
        }
        foreach (IGrouping<string, OnnxNodeTestData.Result> g in results.GroupBy(r => r.Operator).OrderBy(g => g.Key))
            output.WriteLine($"{g.Key}: {g.Count(r => r.Outcome == OnnxNodeTestData.Outcome.Passed)}/{g.Count()}");
        output.WriteLine($"total: {results.Count(r => r.Outcome == OnnxNodeTestData.Outcome.Passed)}/{results.Count}");
        var unexplained = results.Where(r => r.Outcome != OnnxNodeTestData.Outcome.Passed && !s_exceptions.ContainsKey(r.Test)).ToList();
        foreach (OnnxNodeTestData.Result r in results.Where(r => r.Outcome != OnnxNodeTestData.Outcome.Passed))
            output.WriteLine($"  {r.Test} [{r.Outcome}] {r.Detail}");
        Assert.True(results.Count > 100, $"only {results.Count} node tests found for the supported operators");
        Assert.True(unexplained.Count == 0,
            $"{unexplained.Count} node tests fail without a listed reason:\n" + string.Join("\n", unexplained.Select(r => $"{r.Test}: {r.Detail}")));
        var stale = s_exceptions.Keys.Where(k => results.Any(r => r.Test == k && r.Outcome == OnnxNodeTestData.Outcome.Passed)).ToList();
        Assert.True(stale.Count == 0, $"listed as failing but passing now: {string.Join(", ", stale)}");
    }
}
