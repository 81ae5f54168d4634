// The explorer's HTTP surface on a real Kestrel listener (127.0.0.1, a free port): pages, parameter validation
// (404 for unknown layers, 400 for malformed neuron ids, 404 out of range), nothing outside the atlas, no stack traces,
// the on-demand analysis route, and the guards in front of it: a foreign Host gets 421, a POST without the page token or
// from another origin 403, and no answer carries a local absolute path.

using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;

namespace Unravel.Web.Tests;

public sealed class ExplorerServerTests(AtlasFixture fixture) : IClassFixture<AtlasFixture>
{
    private async Task<(WebApplication App, HttpClient Client)> Start(IReadOnlyList<IAtlasMethod>? methods = null)
    {
        WebApplication app = ExplorerServer.Build(AtlasSession.Open(fixture.AtlasPath), ReportSources.None, new ExplorerOptions { Port = 0, Methods = methods ?? [] });
        await app.StartAsync();
        string url = ExplorerServer.Url(app);
        Assert.StartsWith("http://127.0.0.1:", url);
        return (app, new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(url) });
    }

    /// <summary>A POST the way the page's button sends it: with the token from a served page.</summary>
    internal static async Task<HttpResponseMessage> PostWithToken(HttpClient client, string path)
    {
        string page = await client.GetStringAsync("index.html");
        string token = Regex.Match(page, "name=\"unravel-token\" content=\"([^\"]+)\"").Groups[1].Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add(RequestGuard.TokenHeader, token);
        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData("index.html", HttpStatusCode.OK, "Atlas of small-resnet-16")]
    [InlineData("layers/layer3.html", HttpStatusCode.OK, "64 neurons")]
    [InlineData("neurons/layer3/0.html", HttpStatusCode.OK, "2 concepts")]
    [InlineData("neurons/layer3/63.html", HttpStatusCode.OK, "not been analysed")]
    [InlineData("layers/nope.html", HttpStatusCode.NotFound, "no layer 'nope'")]
    [InlineData("neurons/nope/1.html", HttpStatusCode.NotFound, "no layer 'nope'")]
    [InlineData("neurons/layer3/64.html", HttpStatusCode.NotFound, "has 64 neurons")]
    [InlineData("neurons/layer3/-1.html", HttpStatusCode.BadRequest, "not a non-negative integer")]
    [InlineData("neurons/layer3/abc.html", HttpStatusCode.BadRequest, "not a non-negative integer")]
    [InlineData("neurons/layer3/99999999999999.html", HttpStatusCode.BadRequest, "not a non-negative integer")]
    [InlineData("manifest.json", HttpStatusCode.NotFound, "not found")]
    [InlineData("atlas.db", HttpStatusCode.NotFound, "not found")]
    [InlineData("layers/..%2F..%2Fmanifest.json", HttpStatusCode.NotFound, "no layer")]
    [InlineData("methods/concepts/layer3/neuron_0.json", HttpStatusCode.NotFound, "not found")]
    public async Task Get_Path_StatusAndMessage(string path, HttpStatusCode status, string expected)
    {
        (WebApplication app, HttpClient client) = await Start();
        await using (app)
        using (client)
        {
            HttpResponseMessage response = await client.GetAsync(path);
            string body = await response.Content.ReadAsStringAsync();
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(expected, body);
            Assert.DoesNotContain("   at ", body);   // never a stack trace
        }
    }

    [Fact]
    public async Task PostAnalyse_Unavailable_501WithReason()
    {
        (WebApplication app, HttpClient client) = await Start();
        await using (app)
        using (client)
        {
            HttpResponseMessage response = await PostWithToken(client, "api/analyse/concepts/layer3/5");
            Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
            Assert.Contains("not available", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task PostAnalyse_Available_RunsOnceThenRedirectsToTheNeuron()
    {
        var method = new RecordingMethod();
        (WebApplication app, HttpClient client) = await Start([method]);
        await using (app)
        using (client)
        {
            HttpResponseMessage bad = await PostWithToken(client, "api/analyse/recording/layer3/640");
            Assert.Equal(HttpStatusCode.NotFound, bad.StatusCode);
            HttpResponseMessage unknown = await PostWithToken(client, "api/analyse/nope/layer3/5");
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Contains("no method 'nope'", await unknown.Content.ReadAsStringAsync());
            HttpResponseMessage refused = await client.PostAsync("api/analyse/recording/layer3/5", null);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Empty(method.Calls);
            HttpResponseMessage response = await PostWithToken(client, "api/analyse/recording/layer3/5");
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/neurons/layer3/5.html", response.Headers.Location!.OriginalString);
            Assert.Equal([("layer3", 5)], method.Calls);
        }
    }

    [Fact]
    public async Task Get_FailingResultFile_422OneLine()
    {
        string file = ConceptsMethod.Instance.PathOf(fixture.Atlas, "layer3", 9);
        File.WriteAllText(file, "{ not json");
        try
        {
            (WebApplication app, HttpClient client) = await Start();
            await using (app)
            using (client)
            {
                HttpResponseMessage response = await client.GetAsync("neurons/layer3/9.html");
                string body = await response.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
                Assert.Contains("methods/concepts/layer3/neuron_9.json: not a concepts result", body);
                Assert.DoesNotContain(fixture.Dir, body);   // the atlas-relative path, not the local one
                Assert.DoesNotContain("   at ", body);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:5077")]
    [InlineData("127.0.0.1.nip.io")]
    public async Task Get_ForeignHost_421(string host)
    {
        (WebApplication app, HttpClient client) = await Start();
        await using (app)
        using (client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "index.html");
            request.Headers.Host = host;
            HttpResponseMessage response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
            Assert.Contains("answers requests for 127.0.0.1, [::1], localhost", await response.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [InlineData("Origin", "http://evil.example")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    public async Task PostAnalyse_CrossOriginWithToken_403NotRun(string header, string value)
    {
        var method = new RecordingMethod();
        (WebApplication app, HttpClient client) = await Start([method]);
        await using (app)
        using (client)
        {
            string page = await client.GetStringAsync("index.html");
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/analyse/recording/layer3/5");
            request.Headers.Add(RequestGuard.TokenHeader, Regex.Match(page, "name=\"unravel-token\" content=\"([^\"]+)\"").Groups[1].Value);
            request.Headers.Add(header, value);
            HttpResponseMessage response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Empty(method.Calls);
        }
    }

    [Fact]
    public async Task Get_Pages_NoLocalPathsAndSecurityHeaders()
    {
        (WebApplication app, HttpClient client) = await Start();
        await using (app)
        using (client)
        {
            foreach (string path in new[] { "index.html", "layers/layer3.html", "neurons/layer3/0.html" })
            {
                HttpResponseMessage response = await client.GetAsync(path);
                string body = await response.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.DoesNotContain(fixture.Dir, body);
                Assert.DoesNotContain(Path.GetDirectoryName(fixture.Atlas.ModelSource)!, body);
                Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
                Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
            }
            Assert.Contains("<p class=\"muted\">atlas</p>", await client.GetStringAsync("index.html"));   // the atlas by name
        }
    }

    [Fact]
    public void StatusOf_AtlasInUse_Is409Conflict()
    {
        // Another process (a CLI run) holds the atlas's writer's lock: the analysis can be retried later.
        Assert.Equal(409, ExplorerServer.StatusOf(new AtlasInUseException("atlas", 42, "atlas is in use by PID 42")));
        Assert.Equal(400, ExplorerServer.StatusOf(new UnravelException("bad neuron")));
    }
}
