using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Nn.Tests;

public sealed class ModuleTests
{
    private static Dictionary<string, Tensor> Checkpoint() => new()
    {
        ["h.0.fc.weight"] = Tensor.FromArray([1f, 2f, 3f]),
        ["h.0.fc.bias"] = Tensor.FromArray([0f, 0f, 1f]),
        ["h.0.count"] = Tensor.FromArray([5f]),
        ["h.1.fc.weight"] = Tensor.FromArray([2f, 2f, 2f]),
        ["h.1.fc.bias"] = Tensor.FromArray([0f, 1f, 0f]),
        ["h.1.count"] = Tensor.FromArray([5f]),
    };

    [Fact]
    public void Paths_EqualCheckpointKeys()
    {
        var model = new ToyModel(WeightSource.FromTensors(Checkpoint(), "toy"));
        Assert.Equal(Checkpoint().Keys.Order(), model.Parameters().Select(p => p.Path).Order());
        Assert.Equal(["", "h.0", "h.0.fc", "h.1", "h.1.fc"], model.Modules().Select(m => m.Path));
        Assert.Equal(2, model.Parameters().Count(p => p.IsBuffer));
        Assert.Equal(["h.0", "h.0.hook_resid_post", "h.0.fc", "h.1", "h.1.hook_resid_post", "h.1.fc"], model.AllHookNames);
    }

    [Fact]
    public void Forward_LoadedWeights_MatchesClosedForm()
    {
        // block: x + x⊙w + b.  x=1 → h0 = [2, 3, 5];  h1 = h0 + 2·h0 + [0,1,0] = [6, 10, 15]
        var model = new ToyModel(WeightSource.FromTensors(Checkpoint(), "toy"));
        Tensor y = model.Forward(Tensor.FromArray([1f, 1f, 1f]));
        Assert.Equal([6f, 10f, 15f], y.ToArray());
    }

    [Fact]
    public void Hook_ReplacesActivation_OnlyInsideUsing()
    {
        var model = new ToyModel(WeightSource.FromTensors(Checkpoint(), "toy"));
        Tensor x = Tensor.FromArray([1f, 1f, 1f]);
        using (model.Hooks.Add("h.0.hook_resid_post", (_, t) => Tensor.Zeros(3)))
            Assert.Equal([0f, 1f, 0f], model.Forward(x).ToArray()); // h0 zeroed → h1 = b1
        Assert.Equal(0, model.Hooks.Count);
        Assert.Equal([6f, 10f, 15f], model.Forward(x).ToArray());
    }

    [Fact]
    public void Hook_Glob_MatchesEverySegment()
    {
        var model = new ToyModel(WeightSource.FromTensors(Checkpoint(), "toy"));
        var seen = new List<string>();
        using (model.Hooks.Add("h.*.fc", (string n, Tensor _) => seen.Add(n)))
            model.Forward(Tensor.Zeros(3));
        Assert.Equal(["h.0.fc", "h.1.fc"], seen);
    }

    [Fact]
    public void Hook_UnknownName_ThrowsListingValidNames()
    {
        var model = new ToyModel(WeightSource.Initialize(1));
        var e = Assert.Throws<HookNotFoundException>(() => model.Hooks.Add("h.7.fc", (string _, Tensor _) => { }));
        Assert.Contains("h.7.fc", e.Message);
        Assert.Contains("h.1.hook_resid_post", e.Hint);
    }

    [Fact]
    public void RunWithCache_CapturesByNameAndAlias()
    {
        var model = new ToyModel(WeightSource.FromTensors(Checkpoint(), "toy"));
        Tensor x = Tensor.FromArray([1f, 1f, 1f]);
        ActivationCache cache = model.RunWithCache(() => model.Forward(x), "h.*.hook_resid_post", "blocks.1.fc");
        Assert.Equal([2f, 3f, 5f], cache["h.0.hook_resid_post"].ToArray());
        Assert.Equal([4f, 7f, 10f], cache["blocks.1.fc"].ToArray()); // h0⊙w1 + b1
        Assert.Equal([6f, 10f, 15f], cache.Output.ToArray());
        Assert.Equal(0, model.Hooks.Count);
    }

    [Fact]
    public void Load_MissingUnexpectedMisshaped_ListsAllKeys()
    {
        Dictionary<string, Tensor> ckpt = Checkpoint();
        ckpt.Remove("h.1.fc.bias");
        ckpt["h.0.fc.weight"] = Tensor.Zeros(4);
        ckpt["h.9.extra"] = Tensor.Zeros(1);
        WeightSource ws = WeightSource.FromTensors(ckpt, "toy.safetensors");
        _ = new ToyModel(ws);
        var e = Assert.Throws<WeightMismatchException>(() => ws.Complete());
        Assert.Equal(["h.1.fc.bias"], e.Missing);
        Assert.Equal(["h.9.extra"], e.Unexpected);
        Assert.Single(e.Misshaped);
        Assert.Contains("h.0.fc.weight: checkpoint [4], model expects [3]", e.Message);
        Assert.Contains("toy.safetensors", e.Message);
    }

    [Fact]
    public void Load_IgnoredPattern_IsNotUnexpected()
    {
        Dictionary<string, Tensor> ckpt = Checkpoint();
        ckpt["h.0.attn.bias"] = Tensor.Zeros(1);
        WeightSource ws = WeightSource.FromTensors(ckpt, "toy");
        _ = new ToyModel(ws);
        ws.Complete("h.*.attn.bias");
    }

    [Fact]
    public void Initialize_IsSeededAndTrainFlagPropagates()
    {
        var a = new ToyModel(WeightSource.Initialize(5));
        Assert.False(a.H[1].Fc.Training);
        a.Train();
        Assert.True(a.H[1].Fc.Training);
        a.Eval();
        Assert.False(a.H[0].Training);
        Assert.Equal(6, a.StateDict().Count);
    }

    [Fact]
    public void Parameter_ReplaceWithOtherShape_Throws()
    {
        var model = new ToyModel(WeightSource.Initialize(1));
        var e = Assert.Throws<ArgumentException>(() => model.H[0].Fc.W.Value = Tensor.Zeros(2));
        Assert.Contains("h.0.fc.weight", e.Message);
    }
}
