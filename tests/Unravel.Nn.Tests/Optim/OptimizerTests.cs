// SGD and AdamW against torch.optim trajectories (tools/fixtures/optim.py): same start, same gradients and rates,
// parameters compared after every step; plus closed forms for the first steps and state export/import.

using System.Text.Json;
using Unravel.Nn.Optim;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Nn.Tests.Optim;

public sealed class OptimizerTests
{
    private sealed class TwoParams : Module
    {
        public TwoParams(WeightSource ws) : base(ws)
        {
            A = Weight(ws, "a", [3, 4], Init.Zeros);
            B = Weight(ws, "b", [5], Init.Zeros);
        }

        public Parameter A { get; }
        public Parameter B { get; }
    }

    private static readonly JsonElement s_cases = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "optim", "optim.json"))).RootElement.GetProperty("cases");

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement c in s_cases.EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Step_MatchesTorchTrajectory_WithinF32Rounding(string name)
    {
        JsonElement c = s_cases.EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        JsonElement o = c.GetProperty("options");
        var model = Build(c);
        bool decayB = c.GetProperty("decay_b").GetBoolean();
        Func<Parameter, bool> decays = p => decayB || p != model.B;
        Optimizer opt = name.StartsWith("sgd", StringComparison.Ordinal)
            ? new Sgd([model.A, model.B], new SgdOptions
            {
                Momentum = o.GetProperty("momentum").GetSingle(), Dampening = o.GetProperty("dampening").GetSingle(),
                WeightDecay = o.GetProperty("weight_decay").GetSingle(), Nesterov = o.GetProperty("nesterov").GetBoolean(),
            }, decays)
            : new AdamW([model.A, model.B], new AdamWOptions
            {
                Beta1 = o.GetProperty("beta1").GetSingle(), Beta2 = o.GetProperty("beta2").GetSingle(),
                Eps = o.GetProperty("eps").GetSingle(), WeightDecay = o.GetProperty("weight_decay").GetSingle(),
            }, decays);
        float[] lrs = c.GetProperty("lrs").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        JsonElement[] grads = c.GetProperty("grads").EnumerateArray().ToArray(), after = c.GetProperty("after").EnumerateArray().ToArray();
        for (int s = 0; s < lrs.Length; s++)
        {
            opt.Step(Grads(model, grads[s]), lrs[s]);
            AssertClose(Values(after[s].GetProperty("a")), model.A.Value.Data.ToArray(), $"{name} step {s + 1} a");
            AssertClose(Values(after[s].GetProperty("b")), model.B.Value.Data.ToArray(), $"{name} step {s + 1} b");
        }
        Assert.Equal(lrs.Length, opt.StepCount);
    }

    [Fact]
    public void Sgd_FirstTwoSteps_EqualClosedForm()
    {
        // θ₀ = 1, g = 2 each step, λ = 0.1, μ = 0.5, η = 0.1:
        // step 1: d = 2 + 0.1·1 = 2.1, b = 2.1, θ₁ = 1 - 0.21 = 0.79
        // step 2: d = 2 + 0.079 = 2.079, b = 0.5·2.1 + 2.079 = 3.129, θ₂ = 0.79 - 0.3129 = 0.4771
        var model = Build(1f);
        var opt = new Sgd([model.A, model.B], new SgdOptions { Momentum = 0.5f, WeightDecay = 0.1f });
        opt.Step(ConstantGrads(model, 2f), 0.1f);
        Assert.Equal(0.79f, model.A.Value.Data[0], 5);
        opt.Step(ConstantGrads(model, 2f), 0.1f);
        Assert.Equal(0.4771f, model.A.Value.Data[0], 5);
    }

    [Fact]
    public void AdamW_FirstStep_MovesEachWeightByLearningRate()
    {
        // Step 1: m̂ = g, v̂ = g², so θ₁ = θ₀(1 - ηλ) - η·g/(|g| + ε) ≈ θ₀(1 - ηλ) - η·sign(g).
        var model = Build(1f);
        var opt = new AdamW([model.A, model.B], new AdamWOptions { WeightDecay = 0.5f });
        opt.Step(ConstantGrads(model, -3f), 0.01f);
        Assert.Equal(1f * (1 - 0.005f) + 0.01f, model.A.Value.Data[0], 6);
    }

    [Fact]
    public void ExportImportState_ContinuesIdentically()
    {
        var m1 = Build(0.5f);
        var m2 = Build(0.5f);
        var o1 = new AdamW([m1.A, m1.B], new AdamWOptions());
        o1.Step(ConstantGrads(m1, 1f), 0.1f);
        m1.A.Value.Data.CopyTo(m2.A.Value.Data);
        m1.B.Value.Data.CopyTo(m2.B.Value.Data);
        var o2 = new AdamW([m2.A, m2.B], new AdamWOptions());
        o2.ImportState(o1.ExportState(), o1.StepCount);
        o1.Step(ConstantGrads(m1, -2f), 0.1f);
        o2.Step(ConstantGrads(m2, -2f), 0.1f);
        Assert.Equal(m1.A.Value.Data.ToArray(), m2.A.Value.Data.ToArray());
        Assert.Equal(["exp_avg/a", "exp_avg/b", "exp_avg_sq/a", "exp_avg_sq/b"], o1.ExportState().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ImportState_UnknownKey_ThrowsNamingIt()
    {
        var m = Build(0f);
        var o = new Sgd([m.A, m.B], new SgdOptions());
        var e = Assert.Throws<ArgumentException>(() => o.ImportState(new Dictionary<string, Tensor> { ["velocity/a"] = Tensor.Zeros(3, 4) }, 1));
        Assert.Contains("velocity/a", e.Message);
    }

    [Fact]
    public void Sgd_NesterovWithoutMomentum_Throws()
    {
        var m = Build(0f);
        Assert.Throws<ArgumentException>(() => new Sgd([m.A], new SgdOptions { Momentum = 0, Nesterov = true }));
    }

    private static TwoParams Build(JsonElement c) =>
        new(WeightSource.FromTensors(new Dictionary<string, Tensor> { ["a"] = ToTensor(c.GetProperty("a0")), ["b"] = ToTensor(c.GetProperty("b0")) }, "fixture"));

    private static TwoParams Build(float value)
    {
        var m = new TwoParams(WeightSource.Initialize(0));
        m.A.Value.Data.Fill(value);
        m.B.Value.Data.Fill(value);
        return m;
    }

    private static GradStore Grads(TwoParams m, JsonElement g)
    {
        var store = new GradStore();
        store.Accumulate(m.A.Value, Values(g.GetProperty("a")));
        store.Accumulate(m.B.Value, Values(g.GetProperty("b")));
        return store;
    }

    private static GradStore ConstantGrads(TwoParams m, float value)
    {
        var store = new GradStore();
        store.For(m.A.Value).Data.Fill(value);
        store.For(m.B.Value).Data.Fill(value);
        return store;
    }

    private static float[] Values(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static Tensor ToTensor(JsonElement t) =>
        Tensor.FromArray(Values(t), t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        // Same f32 operations as torch's single-tensor path, up to the order of a few roundings: 1e-6 absolute/relative.
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]) / (1 + Math.Abs(expected[i])));
        Assert.True(maxDiff <= 1e-6, $"{what}: max relative difference {maxDiff:E2}; expected [{string.Join(", ", expected.Take(5))}], got [{string.Join(", ", actual.Take(5))}]");
    }
}
