// The tiny GPT-2 fixture of tools/fixtures/models_gpt2.py: HF folders, the token batch, and torch's activations,
// logits and gradients; plus a tolerance check that reports the max difference and the first mismatches.

using System.Globalization;
using System.Text;
using System.Text.Json;
using Unravel.IO;
using Unravel.Models.Text;
using Unravel.Tensors;
using Xunit.Sdk;

namespace Unravel.Models.Tests.Text;

internal static class Gpt2Fixture
{
    /// <summary>Forward tolerances of STYLE.md.</summary>
    public const float ForwardAtol = 1e-5f, ForwardRtol = 1e-4f;

    /// <summary>Gradient tolerances of STYLE.md.</summary>
    public const float GradAtol = 1e-4f, GradRtol = 1e-3f;

    private static readonly Lazy<IReadOnlyDictionary<string, Tensor>> s_expected = new(() =>
    {
        using SafeTensors file = SafeTensors.Read(FixturePath("expected.safetensors"));
        return file.ReadAll();
    });

    private static readonly Lazy<JsonDocument> s_case = new(() => JsonDocument.Parse(File.ReadAllBytes(FixturePath("case.json"))));

    /// <summary>The reduced config the fixture was generated with (vocab 512, context 64, 2 layers, 4 heads, width 64).</summary>
    public static Gpt2Config Config { get; } = new(512, 64, 2, 4, 64);

    public const int Batch = 2, Seq = 16;

    /// <summary>config.json + model.safetensors, bare keys.</summary>
    public static string SafeTensorsFolder => FixturePath("tiny");

    /// <summary>config.json + pytorch_model.bin: "transformer." keys, lm_head.weight, attn.bias/masked_bias buffers.</summary>
    public static string LmHeadFolder => FixturePath("tiny-lmhead");

    public static int[] Tokens => Ints("tokens");

    public static int[] Targets => Ints("targets");

    /// <summary>torch's values by name: hook names, "logits", "loss", "zeroed_mlp_post_0.logits", "grad.&lt;HF key&gt;".</summary>
    public static IReadOnlyDictionary<string, Tensor> Expected => s_expected.Value;

    public static Tensor Get(string name) =>
        Expected.TryGetValue(name, out Tensor? t) ? t : throw new XunitException($"fixture has no tensor '{name}'");

    public static Gpt2 LoadTiny() => Gpt2.Load(SafeTensorsFolder);

    /// <summary>The fixture's raw HF tensors (bare keys, Conv1D [in, out]).</summary>
    public static Dictionary<string, Tensor> RawTensors()
    {
        using SafeTensors file = SafeTensors.Read(System.IO.Path.Combine(SafeTensorsFolder, "model.safetensors"));
        return file.ReadAll().ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    public static string FixturePath(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "gpt2", name);

    public static double Close(Tensor expected, Tensor actual, float atol, float rtol, string label) =>
        TensorAssert.Close(expected, actual, atol, rtol, label);

    public static double ForwardClose(Tensor expected, Tensor actual, string label) =>
        Close(expected, actual, ForwardAtol, ForwardRtol, label);

    private static int[] Ints(string name) =>
        s_case.Value.RootElement.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();
}
