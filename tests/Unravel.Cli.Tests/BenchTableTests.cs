// `unravel-bench models` and `profile` report what they say: the ratio columns (median and min-max of per-round
// ours/other ratios), the per-batch counters, the parsing of the PyTorch worker's answers and of /proc/self/status,
// the op-kind grouping of the profile, and the bad-input messages of the new options. Synthetic numbers with
// hand-computed expectations; nothing here is timed.

using System.CommandLine;
using System.Text.Json;
using Unravel.Bench;

namespace Unravel.Cli.Tests;

public sealed class BenchTableTests
{
    private static ModelsBench.Workload Workload(string name) => ModelsBench.AllWorkloads.Single(w => w.Name == name);

    [Fact]
    public void RatioStats_FromRates_GivesMedianAndRangeOfPerRoundRatios()
    {
        // Per round ours/other: 10/5 = 2, 20/10 = 2, 30/60 = 0.5, 8/16 = 0.5, 9/3 = 3 → sorted 0.5 0.5 2 2 3.
        RatioStats s = RatioStats.FromRates([10, 20, 30, 8, 9], [5, 10, 60, 16, 3])!.Value;
        Assert.Equal(2.0, s.Median, 12);
        Assert.Equal(0.5, s.Min, 12);
        Assert.Equal(3.0, s.Max, 12);
        Assert.Equal("2.00 (0.50-3.00)", s.ToString());
    }

    [Fact]
    public void RatioStats_FromRates_EvenRoundsAverageTheMiddlePair_NotTheRatioOfMedians()
    {
        // Ratios 4, 1, 0.25, 2 → sorted 0.25 1 2 4, median 1.5; the ratio of the median rates would be 2.5 / 2.5 = 1.
        RatioStats s = RatioStats.FromRates([4, 1, 1, 4], [1, 1, 4, 2])!.Value;
        Assert.Equal(1.5, s.Median, 12);
        Assert.Equal(0.25, s.Min, 12);
        Assert.Equal(4.0, s.Max, 12);
    }

    [Fact]
    public void RatioStats_FromRates_WithoutTheOtherEngine_IsNull_AndMismatchedRoundsThrow()
    {
        Assert.Null(RatioStats.FromRates([1, 2], null));
        Assert.Throws<ArgumentException>(() => RatioStats.FromRates([1, 2], [1]));
    }

    [Fact]
    public void BatchCounters_DifferencePerRun_DividesEveryCounter()
    {
        var before = new BatchCounters(100, 3, 2, 1, 1_000);
        var after = new BatchCounters(500, 7, 4, 3, 9_000);
        Assert.Equal(new BatchCounters(100, 1, 0.5, 0.5, 2_000), (after - before).PerRun(4));
        BatchCounters median = BatchCounters.Median([new(1, 0, 0, 0, 10), new(9, 2, 1, 1, 30), new(3, 1, 0, 0, 20)]);
        Assert.Equal(new BatchCounters(3, 1, 0, 0, 20), median);
    }

    [Fact]
    public void FormatRow_PrintsTheRatiosAndCountersItWasGiven()
    {
        var row = new ModelsBench.Row(Workload("resnet50_fwd_b16"), 2, 7, 1, 1, 0, 12.34, 10.0, null,
            new RatioStats(1.23, 0.98, 1.4), null, 1.1, new BatchCounters(2048, 1.5, 0.5, 0.5, 3 * 1048576));
        string line = ModelsBench.FormatRow(row);
        Assert.StartsWith("resnet50_fwd_b16     2 images/s     12.3     10.0        - 1.23 (0.98-1.40)  -", line);
        Assert.EndsWith("   2048   1.5 (0.5)      3", line);
        Assert.Equal(ModelsBench.Header.Length, line.Length);
    }

    [Fact]
    public void ParseRunAnswer_SumsTheWorkersSecondsAndChecksItsItems()
    {
        using JsonDocument ok = JsonDocument.Parse(
            """{"workload": "resnet18_fwd", "seconds": [0.5, 0.25], "cpu_seconds": [1.0, 0.5], "items_per_run": 16}""");
        (double wall, double cpu) = TorchWorker.ParseRunAnswer(ok.RootElement, Workload("resnet18_fwd_b16"));
        Assert.Equal(0.75, wall, 12);
        Assert.Equal(1.5, cpu, 12);

        // GPT-2's items are tokens: 8 sequences × 128.
        using JsonDocument gpt2 = JsonDocument.Parse("""{"seconds": [2.0], "cpu_seconds": [2.0], "items_per_run": 1024}""");
        Assert.Equal(2.0, TorchWorker.ParseRunAnswer(gpt2.RootElement, Workload("gpt2_fwd_8x128")).Wall, 12);
        Assert.Throws<InvalidOperationException>(() => TorchWorker.ParseRunAnswer(ok.RootElement, Workload("resnet18_fwd_b1")));
    }

    [Fact]
    public void ParseHighWaterKb_ReadsTheTabSeparatedStatusLine()
    {
        const string status = "Name:\tunravel-bench\nVmPeak:\t 4000000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n";
        Assert.Equal(123456, PeakMemory.ParseHighWaterKb(status));
        Assert.Null(PeakMemory.ParseHighWaterKb("Name:\tx\nVmRSS:\t 1 kB\n"));
    }

    [ProcStatusFact]
    public void SelfHighWaterKb_OnLinux_IsAtLeastTheCurrentWorkingSet() =>
        Assert.InRange(PeakMemory.SelfHighWaterKb()!.Value * 1024, Environment.WorkingSet / 2, long.MaxValue);

    [Theory]
    [InlineData("Conv2d 3x3 s1 64→64", ProfileKinds.Gemm)]
    [InlineData("Linear 768→2304", ProfileKinds.Gemm)]
    [InlineData("BatchNorm2d", ProfileKinds.BatchNorm)]
    [InlineData("block output (relu)", ProfileKinds.Relu)]
    [InlineData("hook_relu2", ProfileKinds.Relu)]
    [InlineData("Relu", ProfileKinds.Relu)]
    [InlineData("hook_add", ProfileKinds.Add)]
    [InlineData("MaxPool2d", ProfileKinds.Pooling)]
    [InlineData("AdaptiveAvgPool2d", ProfileKinds.Pooling)]
    [InlineData("hook_z", ProfileKinds.Attention)]
    [InlineData("hook_normalized", ProfileKinds.LayerNorm)]
    [InlineData("Gpt2LayerNorm", ProfileKinds.LayerNorm)]
    [InlineData("hook_resid_post", ProfileKinds.Add)]
    [InlineData("hook_post", ProfileKinds.Gelu)]
    [InlineData("Gpt2Block", ProfileKinds.Other)]
    public void ProfileKinds_OfForward_GroupsModuleKindsAndHooks(string key, string kind) => Assert.Equal(kind, ProfileKinds.OfForward(key));

    [Theory]
    [InlineData("conv2d_affine (Conv2d 3x3 s1 64→64)", ProfileKinds.Gemm)]
    [InlineData("linear (Linear 768→3072)", ProfileKinds.Gemm)]
    [InlineData("batch_norm2d (BatchNorm2d)", ProfileKinds.BatchNorm)]
    [InlineData("add", ProfileKinds.Add)]
    [InlineData("max_pool2d (MaxPool2d)", ProfileKinds.Pooling)]
    [InlineData("causal_self_attention (Gpt2Attention)", ProfileKinds.Attention)]
    [InlineData("softmax", ProfileKinds.Softmax)]
    [InlineData("reshape", ProfileKinds.Other)]
    public void ProfileKinds_OfBackward_GroupsTapeOps(string key, string kind) => Assert.Equal(kind, ProfileKinds.OfBackward(key));

    [Theory]
    [InlineData("--threads", "profile", "--threads", "0")]
    [InlineData("--workloads", "profile", "--workloads", "alexnet")]
    [InlineData("--engine", "peak-memory", "--engine", "tvm", "--workload", "resnet18_fwd_b1")]
    [InlineData("--workload", "peak-memory", "--engine", "ours", "--workload", "alexnet")]
    public void BadInput_ThrowsOneUserErrorNamingTheOption(string option, params string[] args)
    {
        UnravelException e = Assert.Throws<UnravelException>(() =>
            BenchCommand.Create().Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
        Assert.StartsWith(option + ":", e.Message);
    }
}
