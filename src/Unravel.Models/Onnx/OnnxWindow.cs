// The sliding window of an imported Conv, MaxPool or AveragePool node (kernel, strides, dilations, pads or auto_pad,
// ceil_mode), as receptive-field computations need it. Padding is resolved per input size, as the operator resolves it.
// Reference: ONNX operator specifications, https://onnx.ai/onnx/operators/ (Conv, MaxPool, AveragePool: auto_pad).

namespace Unravel.Models.Onnx;

/// <summary>A window op's geometry, per spatial axis (height first).</summary>
public sealed class OnnxWindow
{
    private readonly OnnxNodeContext _context;
    private readonly string _autoPad;
    private readonly long[]? _pads;

    internal OnnxWindow(OnnxNodeContext context, int[] kernel)
    {
        _context = context;
        int r = kernel.Length;
        Kernel = kernel;
        Stride = OnnxOperators.AttrInts(context, "strides", r, 1);
        Dilation = OnnxOperators.AttrInts(context, "dilations", r, 1);
        Ceil = context.Int("ceil_mode", 0) != 0;
        _autoPad = context.String("auto_pad", "NOTSET");
        _pads = context.Ints("pads");
    }

    public IReadOnlyList<int> Kernel { get; }

    public IReadOnlyList<int> Stride { get; }

    public IReadOnlyList<int> Dilation { get; }

    /// <summary>Output sizes round up (pooling's ceil_mode).</summary>
    public bool Ceil { get; }

    /// <summary>Padding before and after each axis for an input of <paramref name="size"/> pixels per axis.</summary>
    public (int[] Begin, int[] End) Pads(int[] size) =>
        OnnxOperators.Pads(_context, _autoPad, _pads, size, [.. Kernel], [.. Stride], [.. Dilation]);
}
