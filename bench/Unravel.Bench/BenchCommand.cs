// `unravel-bench ...`: side-by-side timings of our kernels and references in one run.

using System.CommandLine;

namespace Unravel.Bench;

internal static class BenchCommand
{
    private static readonly Option<string> GemmSizesOption = new("--sizes")
    {
        Description = "Comma-separated square sizes, or MxNxK shapes.",
        DefaultValueFactory = _ => "256,512,1024,2048",
    };

    private static readonly Option<int> GemmThreadsOption = new("--threads")
    {
        Description = "Threads for both backends (default: UNRAVEL_THREADS, else all cores).",
        DefaultValueFactory = _ => Unravel.Tensors.Parallelism.Threads,
    };

    private static readonly Option<int> GemmRepeatsOption = new("--repeats")
    {
        Description = "Interleaved managed/OpenBLAS pairs per shape.",
        DefaultValueFactory = _ => 10,
    };

    private static readonly Option<string> GemmKernelOption = new("--kernel")
    {
        Description = "Managed micro-kernel: auto, avx512, avx2 or portable.",
        DefaultValueFactory = _ => "auto",
    };

    private static readonly Option<bool> GemmJsonOption = new("--json") { Description = "Print machine-readable JSON." };

    private static readonly Option<string> ModelsThreadsOption = new("--threads")
    {
        Description = "Thread count(s) for both engines, e.g. 2 or 1,2 (default: UNRAVEL_THREADS, else all cores).",
        DefaultValueFactory = _ => Unravel.Tensors.Parallelism.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static readonly Option<int> ModelsRepeatsOption = new("--repeats")
    {
        Description = "Interleaved rounds (ours, PyTorch, ONNX Runtime) per workload.",
        DefaultValueFactory = _ => 5,
    };

    private static readonly Option<bool> ModelsJsonOption = new("--json") { Description = "Print machine-readable JSON." };

    private static readonly Option<bool> ModelsNoTorchOption = new("--no-torch") { Description = "Time our engine only." };

    private static readonly Option<string> ModelsWorkloadsOption = new("--workloads")
    {
        Description = "Comma-separated workload names or prefixes (e.g. resnet18,gpt2); default all.",
        DefaultValueFactory = _ => "all",
    };

    private static readonly Option<string> ModelsTorchWaitOption = new("--torch-wait-policy")
    {
        Description = "OMP_WAIT_POLICY of the PyTorch worker: auto (passive when other work keeps over half a core busy), active or passive.",
        DefaultValueFactory = _ => "auto",
    };

    private static readonly Option<bool> ModelsEagerWeightsOption = new("--eager-weights")
    {
        Description = "Pack our convolution weights on every call instead of once per frozen model (Module.FreezeWeights).",
    };

    private static readonly Option<bool> ModelsTorchOptimizedOption = new("--torch-optimized")
    {
        Description = "Run PyTorch's forward workloads through torch.jit.optimize_for_inference(torch.jit.trace(model)) instead of eager modules.",
    };

    private static readonly Option<bool> ModelsNoOrtOption = new("--no-ort")
    {
        Description = "Leave ONNX Runtime out (it needs the PyTorch worker, which exports the ONNX files).",
    };

    private static readonly Option<bool> ModelsNoPeakOption = new("--no-peak-memory")
    {
        Description = "Skip the peak-memory runs (each engine alone in its own process, after the timings).",
    };

    private static readonly Option<bool> ModelsProfileOption = new("--profile")
    {
        Description = "Also print where our time goes (per module forward, per op backward).",
    };

    private static readonly Option<bool> ModelsKernelsOption = new("--kernels")
    {
        Description = "Also print each forward workload's time op by op, ours beside ONNX Runtime's profiler, at every thread count.",
    };

    public static RootCommand Create()
    {
        RootCommand command = new("unravel-bench: benchmarks measured side by side in one run.")
        {
            CreateGemm(),
            CreateModels(),
            CreateCollect(),
            PureBench.Create(),
            OnnxBench.Create(),
            PeakMemory.Create(),
            CreateProfile(),
        };
        return command;
    }

    private static Command CreateGemm()
    {
        Command command = new("gemm", "Managed GEMM vs OpenBLAS, interleaved runs, median GFLOP/s and ratio.")
        {
            GemmSizesOption, GemmThreadsOption, GemmRepeatsOption, GemmKernelOption, GemmJsonOption,
        };
        command.SetAction(parse => GemmBench.Run(
            new GemmBench.Options(GemmBench.ParseSizes(parse.GetValue(GemmSizesOption)!), parse.GetValue(GemmThreadsOption),
                parse.GetValue(GemmRepeatsOption), parse.GetValue(GemmKernelOption)!, parse.GetValue(GemmJsonOption)),
            Console.Out));
        return command;
    }

    private static readonly Option<string> CollectModelOption = new("--model") { Description = "Architecture (random weights).", DefaultValueFactory = _ => "small-resnet" };
    private static readonly Option<string?> CollectDataOption = new("--data") { Description = "IDX images file (default: synthetic 28x28 images)." };
    private static readonly Option<string> CollectLayersOption = new("--layers") { Description = "Layers to collect.", DefaultValueFactory = _ => "layer2,layer3" };
    private static readonly Option<int> CollectInputsOption = new("--inputs") { Description = "Inputs per run.", DefaultValueFactory = _ => 1024 };
    private static readonly Option<int> CollectBatchOption = new("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> CollectRepeatsOption = new("--repeats") { Description = "Interleaved forward/collect pairs.", DefaultValueFactory = _ => 3 };

    private static Command CreateCollect()
    {
        Command command = new("collect", "Collection throughput vs plain forward throughput, same model, data and batch.")
        {
            CollectModelOption, CollectDataOption, CollectLayersOption, CollectInputsOption, CollectBatchOption, CollectRepeatsOption,
        };
        command.SetAction(parse => CollectBench.Run(new CollectBench.Options(parse.GetValue(CollectModelOption)!, parse.GetValue(CollectDataOption),
            parse.GetValue(CollectLayersOption)!, parse.GetValue(CollectInputsOption), parse.GetValue(CollectBatchOption), parse.GetValue(CollectRepeatsOption)),
            Console.Out));
        return command;
    }

    private static readonly Option<string> ProfileWorkloadsOption = new("--workloads")
    {
        Description = "Comma-separated `models` workload names or prefixes.",
        DefaultValueFactory = _ => "resnet50_fwd_b16,resnet50_grad_b16,gpt2",
    };

    private static readonly Option<int> ProfileThreadsOption = new("--threads")
    {
        Description = "Thread count (default: UNRAVEL_THREADS, else all cores).",
        DefaultValueFactory = _ => Unravel.Tensors.Parallelism.Threads,
    };

    private static Command CreateProfile()
    {
        Command command = new("profile", "Where our time goes in `models` workloads: CPU time and page faults by op kind, module and backward op.")
        {
            ProfileWorkloadsOption, ProfileThreadsOption,
        };
        command.SetAction(parse => ModelsProfile.Run(ModelsBench.ParseWorkloads(parse.GetValue(ProfileWorkloadsOption)),
            parse.GetValue(ProfileThreadsOption), Console.Out));
        return command;
    }

    private static Command CreateModels()
    {
        Command command = new("models", "ResNet-18/50 and GPT-2 small throughput, ours vs tuned PyTorch CPU vs ONNX Runtime, interleaved rounds, median ratios, peak memory.")
        {
            ModelsThreadsOption, ModelsRepeatsOption, ModelsJsonOption, ModelsNoTorchOption, ModelsWorkloadsOption, ModelsProfileOption, ModelsEagerWeightsOption,
            ModelsTorchWaitOption, ModelsTorchOptimizedOption, ModelsNoOrtOption, ModelsNoPeakOption, ModelsKernelsOption,
        };
        command.SetAction(parse => ModelsBench.Run(
            new ModelsBench.Options(ModelsBench.ParseThreads(parse.GetValue(ModelsThreadsOption)!), parse.GetValue(ModelsRepeatsOption),
                parse.GetValue(ModelsJsonOption), parse.GetValue(ModelsNoTorchOption), ModelsBench.ParseWorkloads(parse.GetValue(ModelsWorkloadsOption)),
                parse.GetValue(ModelsProfileOption), parse.GetValue(ModelsTorchWaitOption)!, parse.GetValue(ModelsEagerWeightsOption),
                parse.GetValue(ModelsTorchOptimizedOption), parse.GetValue(ModelsNoOrtOption), !parse.GetValue(ModelsNoPeakOption),
                parse.GetValue(ModelsKernelsOption)),
            Console.Out));
        return command;
    }
}
