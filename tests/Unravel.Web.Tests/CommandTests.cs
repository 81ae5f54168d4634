// `unravel report`, `serve` and `demo` as commands: user errors map to exit code 2 with a message, the report folder
// is complete and replaced atomically, and a shrunken demo runs every stage in-process and ranks neurons by the
// polysemanticity scores in the concept results it wrote.

using System.CommandLine;
using System.Text.Json.Nodes;
using Unravel.Cli;
using Unravel.Atlas.Report;

namespace Unravel.Web.Tests;

public sealed class CommandTests(AtlasFixture fixture) : IClassFixture<AtlasFixture>
{
    private static async Task<(int Code, string Error)> Invoke(params string[] args)
    {
        RootCommand root = new() { ReportCommand.Create(), ServeCommand.Create(), DemoCommand.Create() };
        var error = new StringWriter();
        int code = await CliRunner.InvokeAsync(root, args, error);
        return (code, error.ToString());
    }

    [Fact]
    public async Task Report_NotAnAtlas_UsageError()
    {
        (int code, string error) = await Invoke("report", Path.Combine(fixture.Dir, "nothing-here"));
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("not an atlas", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Serve_PortOutOfRange_UsageError()
    {
        (int code, string error) = await Invoke("serve", fixture.AtlasPath, "--port", "70000");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--port must be in 0 … 65535", error);
    }

    [Theory]
    [InlineData("--host", "nope", "--host 'nope' is not an IP address")]
    [InlineData("--host", "0.0.0.0", "pass --allow-remote as well")]
    [InlineData("--max-connections", "0", "--max-connections must be in 1 … 100000")]
    [InlineData("--max-concurrent", "0", "--max-concurrent must be in 1 … 10000")]
    [InlineData("--max-queue", "-1", "--max-queue must be in 0 … 100000")]
    [InlineData("--max-body-bytes", "-1", "--max-body-bytes must be in 0 … 16777216")]
    [InlineData("--max-header-bytes", "100", "--max-header-bytes must be in 1024 … 1048576")]
    public async Task Serve_BadOption_UsageError(string option, string value, string expected)
    {
        (int code, string error) = await Invoke("serve", fixture.AtlasPath, option, value);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
    }

    [Fact]
    public void Report_TwiceIntoOneFolder_AllPagesAndNoLeftovers()
    {
        string outDir = Path.Combine(fixture.Dir, "cmd-report");
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, ReportCommand.Run(fixture.AtlasPath, outDir, useModel: false, output, TextWriter.Null));
        Assert.Equal(ExitCodes.Success, ReportCommand.Run(fixture.AtlasPath, outDir, useModel: false, output, TextWriter.Null));
        var expected = new HtmlReport(fixture.Atlas, ReportSources.None, ReportMode.Static).Pages().Select(p => p.Path).Order().ToArray();
        string[] written = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(outDir, f).Replace('\\', '/')).Order().ToArray();
        Assert.Equal(expected, written);
        Assert.Empty(Directory.EnumerateDirectories(fixture.Dir, ".cmd-report.*"));
        Assert.Contains($"report: {expected.Length} pages", output.ToString());
    }

    [Fact]
    public void Demo_Shrunken_RunsEveryStageAndRanksByPolysemanticity()
    {
        string dir = Path.Combine(fixture.Dir, "demo");
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Success, DemoCommand.Run(new DemoCommand.Request(dir, Top: 3, TextWindows: 4, Limit: 64), output, TextWriter.Null));
        string text = output.ToString();
        Assert.True(File.Exists(Path.Combine(dir, "fashion-atlas", "report", "index.html")));
        Assert.True(File.Exists(Path.Combine(dir, "brown-atlas", "report", "index.html")));
        Assert.Matches(@"wall time \d+\.\d s, peak memory \d+ MiB", text);
        Assert.Contains("skipped: token-level explanations need at least 10 windows", text);

        // Every layer3 neuron has concept results; the printed ranking is their top 3 by score (ties: more concepts, lower index).
        string folder = Path.Combine(dir, "fashion-atlas", "methods", "concepts", "layer3");
        var scores = Enumerable.Range(0, 64).Select(n =>
        {
            JsonNode json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, $"neuron_{n}.json")))!;
            JsonNode poly = json["result"]!["polysemanticity"]!;
            return (N: n, Score: poly["score"]!.GetValue<double>(), K: poly["concepts"]!.GetValue<int>());
        }).ToList();
        int[] top = scores.OrderByDescending(s => s.Score).ThenByDescending(s => s.K).ThenBy(s => s.N).Take(3).Select(s => s.N).ToArray();
        Assert.Contains($"most polysemantic in layer3: {string.Join(", ", top)}", text);
    }
}
