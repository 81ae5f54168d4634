// A model imported from an ONNX file into the engine: every node runs on engine ops, so gradients flow through it
// (the tape) and every float node output is a hook point named by its ONNX tensor name. Where the exporter kept
// PyTorch scopes, the output of each module's last node is also a hook point named by the module path
// ("layer3.1.relu"), as in the native models. Initializers stored as float become parameters named by their ONNX name.
// Integer subgraphs whose inputs are all constant (shape arithmetic) are folded once at load.
// Reference: ONNX IR specification, https://onnx.ai/onnx/repo-docs/IR.html.

using Google.Protobuf;
using Unravel.IO;
using Unravel.Models.Onnx.Proto;

namespace Unravel.Models.Onnx;

/// <summary>An ONNX graph run by the engine, with hooks and gradients.</summary>
public class OnnxModel : RootModule
{
    /// <summary>The default-domain opsets the importer accepts.</summary>
    public const int MinOpset = 1, MaxOpset = 21;

    private readonly List<CompiledNode> _nodes;
    private readonly Dictionary<string, OnnxValue> _constants;
    private readonly Dictionary<string, Parameter> _parameters;
    private readonly List<string> _hookPoints;
    private readonly Dictionary<string, List<string>> _modulesOfTensor;
    private readonly Dictionary<string, string> _tensorOfModule;
    private readonly List<OnnxConvChain> _chains;
    private readonly OnnxConvChain?[] _chainOf;
    private readonly string[][] _releaseAfter;

    private protected OnnxModel(WeightSource ws, ModelProto proto, string file, Dictionary<string, OnnxValue> floatInitializers,
        Dictionary<string, OnnxValue> constants, int opset) : base(ws)
    {
        File = file;
        Opset = opset;
        GraphProto g = proto.Graph;
        _parameters = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach ((string name, OnnxValue v) in floatInitializers)
            _parameters[name] = Weight(ws, name, v.Shape, Init.Zeros);
        _constants = constants;

        var initializerNames = g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (ValueInfoProto v in g.Input.Concat(g.Output))
            if (v.Type is { } type && type.ValueCase != TypeProto.ValueOneofCase.TensorType)
                throw new CheckpointFormatException(file, $"graph input/output '{v.Name}'", "is not a tensor.",
                    "sequence, map and optional values are not supported.");
        Inputs = [.. g.Input.Where(i => !initializerNames.Contains(i.Name)).Select(i => Describe(i))];
        Outputs = [.. g.Output.Select(o => Describe(o))];

        // Which values are float: initializers and inputs by type, node outputs by a small rule per operator.
        var isFloat = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (string n in floatInitializers.Keys) isFloat[n] = true;
        foreach ((string n, OnnxValue v) in constants) isFloat[n] = v.IsFloat;
        foreach (OnnxTensorInfo i in Inputs) isFloat[i.Name] = IsFloatType(i.ElementType);

        var defined = new HashSet<string>(isFloat.Keys, StringComparer.Ordinal);
        _nodes = [];
        var names = new OnnxNames();
        foreach (NodeProto node in g.Node)
        {
            var context = new OnnxNodeContext(node, opset, file);
            foreach (string input in node.Input)
                if (input.Length > 0 && !defined.Contains(input))
                    throw context.Fail($"input '{input}' is neither a graph input, an initializer nor an earlier node's output.",
                        "the graph must be topologically sorted, as the ONNX specification requires.");
            OnnxKernel kernel = OnnxOperators.Compile(context);
            bool floatOut = OutputIsFloat(node, isFloat);
            foreach (string o in node.Output)
                if (o.Length > 0) { isFloat[o] = floatOut; defined.Add(o); }

            if (node.Input.Count(i => i.Length > 0) > 0 ? node.Input.All(i => i.Length == 0 || _constants.ContainsKey(i)) : true)
            {
                // Constant folding: every input is known at load (Constant nodes and shape arithmetic).
                OnnxValue[] folded = RunKernel(context, kernel, [.. node.Input.Select(i => i.Length == 0 ? null : _constants[i])]);
                for (int k = 0; k < node.Output.Count && k < folded.Length; k++)
                    if (node.Output[k].Length > 0) _constants[node.Output[k]] = folded[k];
                continue;
            }
            string? module = names.ModulePath(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? "");
            _nodes.Add(new CompiledNode(context, kernel, [.. node.Input], [.. node.Output], module));
        }
        foreach (OnnxTensorInfo o in Outputs)
            if (!defined.Contains(o.Name))
                throw new CheckpointFormatException(file, $"graph output '{o.Name}'", "no node produces it.");

        // Hook points: every float node output, then each module's output (its last float-producing node).
        _hookPoints = [];
        _modulesOfTensor = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        _tensorOfModule = new Dictionary<string, string>(StringComparer.Ordinal);
        var lastOfModule = new Dictionary<string, string>(StringComparer.Ordinal);
        var moduleOrder = new List<string>();
        foreach (CompiledNode n in _nodes)
        {
            string? first = n.Outputs.FirstOrDefault(o => o.Length > 0 && isFloat.GetValueOrDefault(o));
            foreach (string o in n.Outputs)
                if (o.Length > 0 && isFloat.GetValueOrDefault(o)) _hookPoints.Add(o);
            // A module's output is the last value computed inside its scope, so containers ("layer1") take the
            // output of their last child's last node.
            if (n.Module is { } m && first is not null)
                for (int dot = m.IndexOf('.'); ; dot = m.IndexOf('.', dot + 1))
                {
                    string prefix = dot < 0 ? m : m[..dot];
                    if (!lastOfModule.ContainsKey(prefix)) moduleOrder.Add(prefix);
                    lastOfModule[prefix] = first;
                    if (dot < 0) break;
                }
        }
        var hookNames = new HashSet<string>(_hookPoints, StringComparer.Ordinal);
        foreach (string module in moduleOrder)
        {
            string tensor = lastOfModule[module];
            if (!hookNames.Add(module)) continue;
            _tensorOfModule[module] = tensor;
            if (!_modulesOfTensor.TryGetValue(tensor, out List<string>? list)) _modulesOfTensor[tensor] = list = [];
            list.Add(module);
            _hookPoints.Add(module);
        }
        ModulePaths = moduleOrder;
        // Innermost module first, so a hook on "layer1.1.relu" runs before one on "layer1".
        foreach (List<string> list in _modulesOfTensor.Values) list.Sort((a, b) => b.Length.CompareTo(a.Length));

        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string input in _nodes.SelectMany(n => n.Inputs).Concat(Outputs.Select(o => o.Name)))
            readers[input] = readers.GetValueOrDefault(input) + 1;
        _chains = OnnxConvChain.Find([.. _nodes.Select(n => (n.Context, n.Inputs, n.Outputs))],
            name => _parameters.TryGetValue(name, out Parameter? p) ? p.Value.Rank : null, readers,
            tensor => _modulesOfTensor.TryGetValue(tensor, out List<string>? modules) ? [tensor, .. modules] : [tensor]);
        GraphNodes = [.. _nodes.Select(n => new OnnxGraphNode(n.Context.Name, n.Context.Node.OpType,
            [.. n.Inputs.Where(i => i.Length > 0 && !_constants.ContainsKey(i) && !_parameters.ContainsKey(i))], [.. n.Outputs.Where(o => o.Length > 0)],
            Window(n)))];
        _chainOf = new OnnxConvChain?[_nodes.Count];
        foreach (OnnxConvChain chain in _chains)
            foreach (int i in chain.Members) _chainOf[i] = chain;

        // Liveness: a computed value is dropped after its last reader (a fused chain reads its inputs at its last node),
        // so a forward holds only the live activations, as the native models' locals do.
        var lastRead = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < _nodes.Count; n++)
            foreach (string input in _nodes[n].Inputs)
                if (input.Length > 0) lastRead[input] = Math.Max(lastRead.GetValueOrDefault(input), _chainOf[n]?.Last ?? n);
        var kept = new HashSet<string>(Outputs.Select(o => o.Name).Concat(_constants.Keys).Concat(_parameters.Keys), StringComparer.Ordinal);
        _releaseAfter = new string[_nodes.Count][];
        var release = Enumerable.Range(0, _nodes.Count).Select(_ => new List<string>()).ToArray();
        foreach ((string value, int n) in lastRead)
            if (!kept.Contains(value)) release[n].Add(value);
        for (int n = 0; n < _nodes.Count; n++) _releaseAfter[n] = [.. release[n]];
    }

    /// <summary>The file the model was loaded from.</summary>
    public string File { get; }

    /// <summary>The default-domain opset the graph was exported with.</summary>
    public int Opset { get; }

    /// <summary>The graph inputs (initializers excluded), in order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>The graph outputs, in order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>PyTorch module paths recovered from the node scopes, in graph order; each is a hook point.</summary>
    public IReadOnlyList<string> ModulePaths { get; }

    /// <summary>For each module hook point, the ONNX tensor it names (the last value computed in the module's scope).</summary>
    public IReadOnlyDictionary<string, string> TensorOfModule => _tensorOfModule;

    /// <inheritdoc/>
    protected override IEnumerable<string> InternalHookPoints => _hookPoints;

    /// <summary>The nodes that run at run time (constant subgraphs folded away), in execution order.</summary>
    public IReadOnlyList<OnnxGraphNode> GraphNodes { get; }

    /// <summary>The window of a Conv (kernel from kernel_shape or the weight), MaxPool or AveragePool node; else null.</summary>
    private OnnxWindow? Window(CompiledNode n)
    {
        long[]? kernel = n.Context.Ints("kernel_shape");
        return n.Context.Node.OpType switch
        {
            "MaxPool" or "AveragePool" when kernel is not null => new OnnxWindow(n.Context, [.. kernel.Select(k => (int)k)]),
            "Conv" when kernel is not null => new OnnxWindow(n.Context, [.. kernel.Select(k => (int)k)]),
            "Conv" when n.Inputs.Length > 1 && _parameters.TryGetValue(n.Inputs[1], out Parameter? w) => new OnnxWindow(n.Context, w.Value.Shape[2..].ToArray()),
            _ => null,
        };
    }

    /// <summary>Whether Conv → BatchNormalization → (Add) → Relu chains run as one fused op where nothing observes their
    /// intermediate values (<see cref="OnnxConvChain"/>); false runs every node on its own, for checks. Default true.</summary>
    public bool FuseConvolutions { get; set; } = true;

    /// <summary>How many Conv → BatchNormalization → (Add) → Relu chains the graph has (each fusable at run time).</summary>
    public int ConvChains => _chains.Count;

    /// <summary>Loads and compiles an .onnx file; external data files are read from its folder. A graph that looks like an
    /// image classifier (one float input [N, C, H, W], first output [N, classes]) comes back as an
    /// <see cref="OnnxImageClassifier"/>.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a valid ONNX model, uses an unsupported operator, opset
    /// or attribute (the message names the node, operator and opset), or its graph is malformed.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static OnnxModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        ModelProto proto;
        try
        {
            using FileStream fs = System.IO.File.OpenRead(path);
            proto = ModelProto.Parser.ParseFrom(fs);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CheckpointFormatException(path, "protobuf", $"not a valid ONNX model ({e.Message})",
                "the file is truncated or is not an .onnx file.", e);
        }
        return FromProto(proto, path);
    }

    /// <summary>Builds a model from a parsed <see cref="ModelProto"/>.</summary>
    internal static OnnxModel FromProto(ModelProto proto, string path)
    {
        if (proto.Graph is null || proto.IrVersion <= 0)
            throw new CheckpointFormatException(path, "ModelProto", "no graph or no IR version.",
                "the file is truncated or is not an .onnx file.");
        OperatorSetIdProto? opsetProto = proto.OpsetImport.LastOrDefault(o => o.Domain is "" or "ai.onnx");
        if (opsetProto is null)
            throw new CheckpointFormatException(path, "opset_import", "no default-domain opset is declared.");
        int opset = (int)opsetProto.Version;
        if (opset < MinOpset || opset > MaxOpset)
            throw new CheckpointFormatException(path, "opset_import", $"opset {opset} is outside the supported range {MinOpset}-{MaxOpset}.",
                "re-export with an opset between 13 and 21 (torch.onnx.export(..., opset_version=17)).");

        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        var floats = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        var constants = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        foreach (TensorProto t in proto.Graph.Initializer)
        {
            OnnxValue v = OnnxTensorReader.Read(t, path, directory);
            if (v.IsFloat) floats[t.Name] = v;
            else constants[t.Name] = v;
        }
        WeightSource ws = WeightSource.FromTensors(floats.ToDictionary(p => p.Key, p => p.Value.Floats!), path);
        OnnxModel model = OnnxImageClassifier.Fits(proto.Graph)
            ? new OnnxImageClassifier(ws, proto, path, floats, constants, opset)
            : new OnnxModel(ws, proto, path, floats, constants, opset);
        ws.Complete();
        return model;
    }

    /// <summary>Runs a graph with one input and returns its first output.</summary>
    /// <param name="input">The input; for an integer input (token ids) its values are converted to integers.</param>
    /// <exception cref="ArgumentException">The graph does not have exactly one input.</exception>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Inputs.Count != 1)
            throw new ArgumentException($"onnx: '{File}' has {Inputs.Count} inputs ({string.Join(", ", Inputs.Select(i => i.Name))}); pass them by name.", nameof(input));
        return Forward(new Dictionary<string, Tensor> { [Inputs[0].Name] = input })[Outputs[0].Name];
    }

    /// <summary>Runs the graph on named inputs and returns every graph output that is a float tensor.</summary>
    /// <exception cref="ArgumentException">An input is missing or unknown.</exception>
    public IReadOnlyDictionary<string, Tensor> Forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        foreach (OnnxTensorInfo info in Inputs)
        {
            if (!inputs.TryGetValue(info.Name, out Tensor? t))
                throw new ArgumentException($"onnx: input '{info.Name}' is missing; the graph takes {string.Join(", ", Inputs.Select(i => i.Name))}.", nameof(inputs));
            values[info.Name] = IsFloatType(info.ElementType) ? OnnxValue.Float(t)
                : OnnxValue.Int(Array.ConvertAll(t.ToArray(), v => (long)MathF.Round(v)), t.Shape.ToArray(), info.ElementType);
        }
        foreach (string name in inputs.Keys)
            if (!Inputs.Any(i => i.Name == name))
                throw new ArgumentException($"onnx: '{name}' is not an input; the graph takes {string.Join(", ", Inputs.Select(i => i.Name))}.", nameof(inputs));
        Dictionary<string, OnnxValue> env = Run(values);
        return Outputs.Where(o => env[o.Name].IsFloat).ToDictionary(o => o.Name, o => env[o.Name].Floats!);
    }

    /// <summary>Runs the graph on <paramref name="inputs"/> and returns the graph outputs, the constants and parameters
    /// (intermediate values are dropped after their last reader).</summary>
    internal Dictionary<string, OnnxValue> Run(IReadOnlyDictionary<string, OnnxValue> inputs)
    {
        var env = new Dictionary<string, OnnxValue>(_constants, StringComparer.Ordinal);
        foreach ((string name, Parameter p) in _parameters) env[name] = OnnxValue.Float(p.Value);
        foreach ((string name, OnnxValue v) in inputs) env[name] = v;
        Tensor Value(string name) => env[name].AsFloat();
        bool[] fused = new bool[_chains.Count];
        for (int n = 0; n < _nodes.Count; n++)
        {
            CompiledNode node = _nodes[n];
            OnnxValue[] results;
            OnnxConvChain? chain = _chainOf[n];
            // A chain decides at its Conv (its first node) and then runs whole at its last node, or node by node.
            if (chain is not null && n == chain.First) fused[chain.Id] = FuseConvolutions && chain.CanFuse(Hooks, Value);
            if (chain is not null && fused[chain.Id])
            {
                if (n != chain.Last) continue;
                results = RunKernel(_nodes[chain.First].Context, _ => [OnnxValue.Float(chain.Run(Value))], []);
            }
            else
            {
                var args = new OnnxValue?[node.Inputs.Length];
                for (int i = 0; i < args.Length; i++)
                    args[i] = node.Inputs[i].Length == 0 ? null
                        : env.TryGetValue(node.Inputs[i], out OnnxValue? v) ? v
                        : throw new ArgumentException($"onnx: node '{node.Context.Name}' needs '{node.Inputs[i]}', which was not given.");
                results = RunKernel(node.Context, node.Kernel, args);
            }
            for (int k = 0; k < node.Outputs.Length && k < results.Length; k++)
            {
                string name = node.Outputs[k];
                if (name.Length == 0) continue;
                OnnxValue r = results[k];
                if (r.IsFloat && Hooks.Count > 0)
                {
                    Tensor t = Hooks.Apply(name, r.Floats!);
                    if (_modulesOfTensor.TryGetValue(name, out List<string>? modules))
                        foreach (string module in modules) t = Hooks.Apply(module, t);
                    r = OnnxValue.Float(t);
                }
                env[name] = r;
            }
            foreach (string dead in _releaseAfter[n]) env.Remove(dead);
        }
        return env;
    }

    private static OnnxValue[] RunKernel(OnnxNodeContext context, OnnxKernel kernel, OnnxValue?[] args)
    {
        try
        {
            return kernel(args);
        }
        catch (ArgumentException e)
        {
            string shapes = string.Join(", ", args.Select(a => a?.ToString() ?? "none"));
            throw context.Fail($"{e.Message} (inputs {shapes})");
        }
    }

    private protected static bool IsFloatType(OnnxElementType t) => t is OnnxElementType.Float or OnnxElementType.Double or OnnxElementType.Float16 or OnnxElementType.BFloat16;

    private protected static OnnxTensorInfo Describe(ValueInfoProto v)
    {
        TypeProto.Types.Tensor? tt = v.Type?.TensorType;
        int?[]? shape = tt?.Shape is { } s ? [.. s.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? (int?)d.DimValue : null)] : null;
        return new OnnxTensorInfo(v.Name, (OnnxElementType)(tt?.ElemType ?? 1), shape);
    }

    private static bool OutputIsFloat(NodeProto node, Dictionary<string, bool> isFloat)
    {
        bool In(int i) => i < node.Input.Count && isFloat.GetValueOrDefault(node.Input[i]);
        switch (node.OpType)
        {
            case "Shape" or "Size" or "And" or "Xor" or "Equal" or "Less" or "LessOrEqual" or "Greater" or "GreaterOrEqual" or "Not" or "And" or "Or":
                return false;
            case "Cast":
                return node.Attribute.FirstOrDefault(a => a.Name == "to") is { } to && IsFloatType((OnnxElementType)to.I);
            case "Constant":
                AttributeProto? a = node.Attribute.FirstOrDefault();
                return a is not null && (a.Name is "value_float" or "value_floats" || (a.Name == "value" && IsFloatType((OnnxElementType)a.T.DataType)));
            case "ConstantOfShape":
                AttributeProto? v = node.Attribute.FirstOrDefault(x => x.Name == "value");
                return v is null || IsFloatType((OnnxElementType)v.T.DataType);
            case "Where":
                return In(1) || In(2);
            case "Add" or "Sub" or "Mul" or "Div" or "Pow":
                return In(0) || In(1);
            default:
                return In(0);
        }
    }

    private sealed record CompiledNode(OnnxNodeContext Context, OnnxKernel Kernel, string[] Inputs, string[] Outputs, string? Module);
}
