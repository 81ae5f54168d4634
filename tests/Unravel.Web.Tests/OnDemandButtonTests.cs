// The explorer's "Run <method> on this neuron" buttons against the method contract's applies-check
// (IAtlasMethod.Unavailable): on the Fashion-MNIST image atlas every enabled button's POST runs and redirects to the
// neuron (no button that would answer 400), the methods that cannot run there (channel splitting: it needs a class
// pair; neuron embeddings: they need a text atlas; scoring: no stored explanation yet) show a disabled button with
// the reason, and their POST is still refused with a 400 naming that reason.

using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;

namespace Unravel.Web.Tests;

public sealed partial class OnDemandButtonTests(AtlasFixture fixture) : IClassFixture<AtlasFixture>
{
    // Neurons without any result in the fixture: one per test, as the POST test stores results in the shared atlas.
    private const int PageNeuron = 60, Neuron = 61;

    [GeneratedRegex("<form method=\"post\" action=\"\\.\\./\\.\\./(api/analyse/([a-z]+)/layer3/[0-9]+)\"><button type=\"submit\"")]
    private static partial Regex EnabledButton();

    [GeneratedRegex("<button type=\"button\" disabled id=\"unavailable-([a-z]+)\" title=\"([^\"]+)\"")]
    private static partial Regex DisabledButton();

    [Fact]
    public void NeuronPage_ImageAtlas_DisablesSplitEmbedAndScoreWithTheReason()
    {
        string html = new HtmlReport(fixture.Atlas, ReportSources.None, ReportMode.Served).NeuronPage(fixture.Atlas.Layer(AtlasFixture.Layer), PageNeuron);
        string[] enabled = [.. EnabledButton().Matches(html).Select(m => m.Groups[2].Value)];
        Dictionary<string, string> disabled = DisabledButton().Matches(html).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(["concepts", "pure", "explain"], enabled);
        Assert.Equal(["split", "score", "embed"], disabled.Keys.ToArray());
        Assert.Contains("needs a class pair", disabled["split"]);
        Assert.Contains("not collected over text", disabled["embed"]);
        Assert.Contains("stored explanation", disabled["score"]);
        foreach (IAtlasMethod m in MethodRegistry.All)   // every registered method is offered or explained, none twice
            Assert.True(enabled.Contains(m.Name) ^ disabled.ContainsKey(m.Name), m.Name);
    }

    [Fact]
    public async Task PostEveryButton_EnabledRedirect_DisabledAnswer400WithReason()
    {
        WebApplication app = ExplorerServer.Build(AtlasSession.Open(fixture.AtlasPath), ReportSources.None, new ExplorerOptions { Port = 0 });
        await app.StartAsync();
        await using (app)
        using (var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(ExplorerServer.Url(app)) })
        {
            string html = await client.GetStringAsync($"neurons/layer3/{Neuron}.html");
            MatchCollection buttons = EnabledButton().Matches(html);
            Assert.NotEmpty(buttons);
            foreach (Match button in buttons)
            {
                HttpResponseMessage response = await ExplorerServerTests.PostWithToken(client, WebUtility.HtmlDecode(button.Groups[1].Value));
                Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{button.Groups[2].Value}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            foreach (string method in new[] { "split", "embed" })
            {
                HttpResponseMessage refused = await ExplorerServerTests.PostWithToken(client, $"api/analyse/{method}/layer3/{Neuron}");
                string body = await refused.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                Assert.Contains($"{method} cannot run on neuron {Neuron} of 'layer3'", body);
                Assert.Equal(1, body.Count(c => c == '\n'));   // one line, no stack trace
            }
            // Once concept vectors are stored, scoring applies: the page now offers it.
            string after = await client.GetStringAsync($"neurons/layer3/{Neuron}.html");
            Assert.Contains($"action=\"../../api/analyse/score/layer3/{Neuron}\"", after);
            Assert.DoesNotContain("unavailable-score", after);
        }
    }
}
