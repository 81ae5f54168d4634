// Real-browser test (Unravel issue 8): Playwright drives Debian's Chromium (/usr/bin/chromium, installed by .ci/run)
// through the static report from file:// and through the served explorer, layer → neuron → concept, asserting what
// is shown and keeping screenshots under the test output folder's TestResults/. A missing Chromium fails the test
// with the install command; it never skips.

using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Unravel.Atlas.Report;
using Unravel.Atlas;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Stages;

namespace Unravel.Web.Tests;

public sealed class BrowserTests(AtlasFixture fixture) : IClassFixture<AtlasFixture>
{
    private const string Chromium = "/usr/bin/chromium";

    public static string Artifacts { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults");

    private static async Task<(IPlaywright, IBrowser)> Launch()
    {
        Assert.True(File.Exists(Chromium),
            $"Chromium is not installed at {Chromium}; the browser test needs Debian's Chromium: run `apt-get install -y chromium` (.ci/run does).");
        IPlaywright playwright = await Playwright.CreateAsync();
        IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = Environment.UserName == "root" ? ["--no-sandbox"] : [],
        });
        return (playwright, browser);
    }

    /// <summary>Index → layer3 → neuron 0 → concept 1, asserting each page; returns the neuron page's screenshot path.</summary>
    private async Task Tour(IPage page, string indexUrl, string name)
    {
        var external = new List<string>();
        page.Request += (_, r) => { if (!r.Url.StartsWith("file://", StringComparison.Ordinal) && !r.Url.StartsWith("http://127.0.0.1", StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)) external.Add(r.Url); };
        await page.GotoAsync(indexUrl);
        Assert.Equal("Atlas of small-resnet-16", await page.Locator("h1").InnerTextAsync());
        Assert.Equal(2, await page.Locator("#layers tbody tr").CountAsync());

        await page.Locator("#layers a", new() { HasText = "layer3" }).ClickAsync();
        Assert.Equal("layer3", await page.Locator("h1").InnerTextAsync());
        ILocator rows = page.Locator("#neurons tbody tr");
        Assert.Equal(64, await rows.CountAsync());
        // Sorting: a click on "idx" sorts descending, a second ascending.
        await page.Locator("#neurons thead th", new() { HasText = "idx" }).ClickAsync();
        Assert.Equal("63", await rows.First.Locator("td").First.InnerTextAsync());
        await page.Locator("#neurons thead th", new() { HasText = "idx" }).ClickAsync();
        Assert.Equal("0", await rows.First.Locator("td").First.InnerTextAsync());

        await rows.First.Locator("a").ClickAsync();
        Assert.Equal("layer3 · neuron 0", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("2 concepts", await page.Locator("#concept-count").InnerTextAsync());
        Assert.Equal("2 virtual neurons", await page.Locator("#vn-count").InnerTextAsync());
        int top = fixture.Atlas.TopInputs("layer3", 0).Inputs.Length;
        Assert.Equal(Math.Min(16, top), await page.Locator("h2:has-text('Top inputs') + p + .refs img").CountAsync());
        // Every reference image decoded (a PNG data: URI the browser could draw).
        Assert.True(await page.Locator("figure.ref img").EvaluateAllAsync<bool>("imgs => imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth === 84)"));

        await page.Locator("#concept-links a", new() { HasText = "concept 1" }).ClickAsync();
        Assert.EndsWith("#concept-1", page.Url);
        ILocator concept = page.Locator("section.concept:target");
        Assert.Equal("concept-1", await concept.GetAttributeAsync("id"));
        int members = fixture.Concepts0.Concepts[1].Size;
        Assert.Contains($"{members} members", await concept.InnerTextAsync());
        Assert.Equal(Math.Min(8, members), await concept.Locator("img").CountAsync());
        Assert.True(await concept.IsVisibleAsync());

        Directory.CreateDirectory(Artifacts);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, name + "-neuron.png"), FullPage = true });
        Assert.Empty(external);
    }

    [Fact]
    public async Task StaticReport_FromFile_LayerNeuronConcept()
    {
        string outDir = Path.Combine(fixture.Dir, "report");
        string index = new ReportStage().Run(new ReportRequest(AtlasSession.Open(fixture.AtlasPath), outDir)).Index;
        (IPlaywright playwright, IBrowser browser) = await Launch();
        using (playwright)
        await using (browser)
        {
            IPage page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
            await Tour(page, new Uri(index).AbsoluteUri, "report");
        }
    }

    [Fact]
    public async Task ServedExplorer_LayerNeuronConcept_AndBadIdShowsMessage()
    {
        var atlas = fixture.Atlas;
        AtlasSession session = AtlasSession.Open(fixture.AtlasPath);
        await using WebApplication app = ExplorerServer.Build(session, ReportSources.Of(session, runModel: false, out _), new ExplorerOptions { Port = 0 });
        await app.StartAsync();
        string url = ExplorerServer.Url(app);
        (IPlaywright playwright, IBrowser browser) = await Launch();
        using (playwright)
        await using (browser)
        {
            IPage page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
            await Tour(page, url + "index.html", "serve");

            // A neuron without results: the page offers the analysis, which runs concept vectors and shows them.
            await page.GotoAsync(url + "neurons/layer3/7.html");
            Assert.Equal(0, await page.Locator("#concept-count").CountAsync());
            await page.Locator("#analyse").ClickAsync();
            await page.Locator("#concept-count").WaitForAsync(new() { Timeout = 60_000 });
            Assert.EndsWith("/neurons/layer3/7.html", page.Url);
            ConceptsRecord? written = ConceptsMethod.Instance.Read(atlas, "layer3", 7)?.Result;
            Assert.NotNull(written);
            Assert.Equal($"{written.Polysemanticity.Concepts} concepts", await page.Locator("#concept-count").InnerTextAsync());
            Assert.Equal(written.Concepts.Length, await page.Locator("section.concept").CountAsync());
            Assert.Equal(0, await page.Locator("#analyse").CountAsync());

            // A bad id gets a short message.
            IResponse? bad = await page.GotoAsync(url + "neurons/layer3/x.html");
            Assert.Equal(400, bad!.Status);
            Assert.Contains("not a non-negative integer", await page.Locator("body").InnerTextAsync());
        }
    }
}
