// `unravel-bench models` option rules that decide what is compared (the timings themselves live in the benchmark).

using Unravel.Cli;
using Unravel.Bench;

namespace Unravel.Cli.Tests;

public sealed class ModelsBenchTests
{
    [Theory]
    [InlineData("auto", null, "active")]        // no sample (not Linux): PyTorch's best policy
    [InlineData("auto", 0.1, "active")]         // quiet host
    [InlineData("auto", 0.5, "active")]         // half a core busy is still quiet enough
    [InlineData("auto", 1.3, "passive")]        // other work on the cores: spinning threads would wait for time slices
    [InlineData("ACTIVE", 1.9, "active")]       // explicit choices win, case-insensitive
    [InlineData("passive", 0.0, "passive")]
    public void ResolveWaitPolicy_FollowsTheBusyCores(string value, double? busyCores, string expected) =>
        Assert.Equal(expected, ModelsBench.ResolveWaitPolicy(value, busyCores));

    [Fact]
    public void ResolveWaitPolicy_UnknownValue_NamesTheOption()
    {
        UnravelException e = Assert.Throws<UnravelException>(() => ModelsBench.ResolveWaitPolicy("spin", 0.0));
        Assert.Contains("--torch-wait-policy", e.Message);
    }
}
