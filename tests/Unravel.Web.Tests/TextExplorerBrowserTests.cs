// Real-browser test of the text explorer (neuron embeddings, A. Foote 2024, arXiv 2411.08166): the shipped Brown
// language model collected over 128 held-out Brown windows, neuron embeddings of layer h.2.mlp.hook_post with the 8
// most split neurons kept, the static report opened from file:// in Debian's Chromium through Playwright: a neuron
// with at least two feature clusters, its tabs, the token-importance toggle, a similar-feature link to another
// neuron's cluster, and the layer page's random-neuron button. A missing Chromium fails the test with the install
// command (BrowserTests).

using Microsoft.Playwright;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;
using Unravel.Atlas.Stages;
using Unravel.Cli;

namespace Unravel.Web.Tests;

public sealed class TextExplorerBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Layer = "h.2.mlp.hook_post";
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-text-explorer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task BrownReport_NeuronWithClusters_TabsImportanceSimilarLinkAndRandomNeuron()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is not installed at {Chromium}; run `apt-get install -y chromium` (.ci/run does).");
        string atlas = Path.Combine(_dir, "brown-atlas");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request(Assets.PathOf("models", "brown-gpt2", "model.safetensors"),
            Assets.PathOf("data", "brown", "heldout"), Layer, atlas, Arch: "brown-gpt2", K: 20, Batch: 16, Limit: 128, Window: 64) { Format = "brown" },
            TextWriter.Null, TextWriter.Null));
        EmbedStageResult run = new EmbedStage().Run(new EmbedRequest(AtlasSession.Open(atlas), Layer) { MostSplit = 8 });
        // A kept neuron with two or more clusters and a similar feature in some cluster (the data and model are fixed).
        EmbedNeuron shown = run.Neurons.First(n => n.Record.Clusters.Length >= 2 && n.Record.Clusters.Any(c => c.Similar.Length > 0));
        EmbedClusterRecord linked = shown.Record.Clusters.First(c => c.Similar.Length > 0);
        EmbedSimilarRecord target = linked.Similar[0];
        string index = new ReportStage().Run(new ReportRequest(AtlasSession.Open(atlas))).Index;
        string root = Path.GetDirectoryName(index)!;

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = Environment.UserName == "root" ? ["--no-sandbox"] : [],
        });
        IPage page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        // The layer table has the polysemanticity columns; the random-neuron button opens some analysed neuron's page.
        await page.GotoAsync(new Uri(Path.Combine(root, HtmlReport.LayerHref(Layer))).AbsoluteUri);
        foreach (string column in new[] { "clusters", "max_dist", "mean_dist" })
            Assert.Equal(1, await page.Locator("#neurons thead th", new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^{column}$") }).CountAsync());
        await page.Locator("#random-neuron").ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/neurons/.+/\d+\.html"));
        Assert.Contains("· neuron", await page.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator("#embed").CountAsync());

        // The neuron with clusters: one tab per cluster, the first shown.
        await page.GotoAsync(new Uri(Path.Combine(root, HtmlReport.NeuronHref(Layer, shown.Neuron))).AbsoluteUri);
        int k = shown.Record.Clusters.Length;
        Assert.Equal($"{k} clusters", await page.Locator("#embed-count").InnerTextAsync());
        Assert.Equal(k, await page.Locator(".embed-tab").CountAsync());
        Assert.True(await page.Locator("#embed-dendrogram svg").IsVisibleAsync());
        Assert.True(await page.Locator("#feature-0").IsVisibleAsync());
        Assert.False(await page.Locator("#feature-1").IsVisibleAsync());
        await page.Locator("#embed-tab-1").ClickAsync();
        Assert.True(await page.Locator("#feature-1").IsVisibleAsync());
        Assert.False(await page.Locator("#feature-0").IsVisibleAsync());
        ILocator windows = page.Locator("#feature-1 .embed-window");
        Assert.Equal(shown.Record.Clusters[1].Windows.Length, await windows.CountAsync());
        // Each token: coloured by activation, the value on hover; the key token carries the example's activation.
        EmbedWindowRecord central = shown.Record.Clusters[1].Windows[0];
        ILocator key = windows.First.Locator(".tok.max");
        Assert.Equal(central.Activations[central.Key], double.Parse(await key.GetAttributeAsync("title") ?? "", System.Globalization.CultureInfo.InvariantCulture), 3);

        // The importance toggle recolours the central example by token importance and back.
        const string background = "e => getComputedStyle(e).backgroundColor";
        string before = await key.EvaluateAsync<string>(background);
        await page.Locator("#embed-importance").CheckAsync();
        Assert.StartsWith("importance ", await key.GetAttributeAsync("title") ?? "", StringComparison.Ordinal);
        Assert.NotEqual(before, await key.EvaluateAsync<string>(background));
        await page.Locator("#embed-importance").UncheckAsync();
        Assert.Equal(before, await key.EvaluateAsync<string>(background));

        // A similar-feature link opens the other neuron's page on that cluster's tab.
        await page.Locator($"#embed-tab-{linked.Id}").ClickAsync();
        await page.Locator($"#feature-{linked.Id} a.similar").First.ClickAsync();
        await page.WaitForURLAsync($"**/{target.Neuron}.html#feature-{target.Cluster}");
        Assert.Equal($"{Layer} · neuron {target.Neuron}", await page.Locator("h1").InnerTextAsync());
        Assert.True(await page.Locator($"#feature-{target.Cluster}").IsVisibleAsync());
        Assert.Empty(errors);
        Directory.CreateDirectory(BrowserTests.Artifacts);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserTests.Artifacts, "text-explorer-neuron.png"), FullPage = true });
    }
}
