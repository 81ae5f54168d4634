// The native ViT against torchvision 0.14 (tools/fixtures/models_vit.py): a reduced VisionTransformer's state_dict
// loads strictly by its own keys, and logits, three module outputs, layer 0's attention pattern and the input gradient
// equal PyTorch's.

using Unravel.IO;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Models.Tests.Vision;

public sealed class ViTTests
{
    private static readonly string s_dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "vit");
    private static readonly ViTConfig s_config = new(32, 8, 2, 4, 32, 64, 10);

    private static ViT Load() =>
        (ViT)ModelLoader.Load(Path.Combine(s_dir, "model.safetensors"),
            new Architecture("vit-test", "vit", "reduced ViT", ws => new ViT(ws, s_config), []));

    private static Tensor Npy(string name) => Unravel.IO.Npy.Read(Path.Combine(s_dir, name));

    [Fact]
    public void Forward_ReducedTorchvisionViT_MatchesPyTorch()
    {
        ViT model = Load();
        string[] names = ["encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_1.mlp", "encoder.ln", "blocks.0.attn.hook_pattern"];
        ActivationCache cache = model.RunWithCache(() => model.Forward(Npy("input.npy")), names);
        TensorAssert.Close(Npy("logits.npy"), cache.Output, 1e-4f, 1e-4f, "logits");
        for (int i = 0; i < 3; i++) TensorAssert.Close(Npy($"act_{i}.npy"), cache[names[i]], 1e-4f, 1e-4f, names[i]);
        TensorAssert.Close(Npy("pattern0.npy"), cache["encoder.layers.encoder_layer_0.self_attention.hook_pattern"], 1e-5f, 1e-4f, "pattern");
    }

    [Fact]
    public void Backward_InputGradient_MatchesPyTorch()
    {
        ViT model = Load();
        using var tape = new Tape();
        Tensor x = tape.Watch(Npy("input.npy"));
        Tensor logits = model.Forward(x);
        Tensor seed = Tensor.Zeros(2, 10);
        seed[0, 3] = 1f;
        seed[1, 5] = 1f;
        Tensor dx = tape.Backward(logits, seed)[x]!;
        TensorAssert.Close(Npy("grad_input.npy"), dx, TensorAssert.GradAtol, TensorAssert.GradRtol, "input gradient");
    }

    [Fact]
    public void PoolTokens_ClsAndMean_PickTokenZeroAndAverage()
    {
        // tokens[n, t, d] = 100n + 10t + d: CLS gives t = 0; the mean over t = 0..2 gives t = 1.
        Tensor tokens = Tensor.Zeros(2, 3, 2);
        for (int n = 0; n < 2; n++) for (int t = 0; t < 3; t++) for (int d = 0; d < 2; d++) tokens[n, t, d] = 100 * n + 10 * t + d;
        Assert.Equal([0f, 1f, 100f, 101f], ViT.PoolTokens(tokens, ViTPool.Cls).ToArray());
        Assert.Equal([10f, 11f, 110f, 111f], ViT.PoolTokens(tokens, ViTPool.Mean).ToArray());
    }

    [Fact]
    public void Registry_VitB16_HasTorchvisionKeyCount()
    {
        RootModule model = ModelRegistry.Get("vit_b_16").Create(WeightSource.Initialize(0));
        // torchvision vit_b_16's state_dict: class_token, conv_proj (2), pos_embedding, 12 × 12 per layer, ln (2), head (2).
        Assert.Equal(1 + 2 + 1 + 12 * 12 + 2 + 2, model.Parameters().Count());
        Assert.Equal(86_567_656L, model.Parameters().Sum(p => (long)p.Value.Length));
    }
}
