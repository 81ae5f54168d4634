// The explorer under load and attack, bounded to about half a minute on 127.0.0.1: 16 concurrent clients send a mix of
// valid pages (under every accepted Host name), invalid ids, path traversal in several encodings (../, %2e%2e%2f,
// %252e%252e%252f, ..%5c, overlong UTF-8 %c0%ae, absolute paths, NUL bytes, absolute-form targets), oversized
// requests (request line, one header, header count, declared, undeclared and chunked bodies), foreign and missing Host
// headers, state-changing requests without the page token or from another origin, and concurrent on-demand analyses
// (concept vectors and PURE) of the same and of different neurons. Asserted: every request answered, none with 5xx,
// each refusal with its own 4xx; a secret file planted beside the atlas, the atlas database and the local paths never
// appear in an answer; each requested analysis ran exactly once, none ran for a refused request, and afterwards the
// atlas's method files and atlas.db rows are exactly the expected set (no lost or duplicated rows). p50/p99 latencies
// are printed to the test output.

using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;
using Xunit.Abstractions;

namespace Unravel.Web.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExplorerLoadCollection
{
    public const string Name = "explorer load";
}

[Collection(ExplorerLoadCollection.Name)]
public sealed class ExplorerLoadTests(AtlasFixture fixture, ITestOutputHelper output) : IClassFixture<AtlasFixture>
{
    private const int Clients = 16;
    private const string Layer = AtlasFixture.Layer;
    private static readonly TimeSpan Traffic = TimeSpan.FromSeconds(15);
    private static readonly int[] ConceptNeurons = [10, 11, 12, 13];
    private static readonly int[] PureNeurons = [20, 21];
    private static readonly int[] RefusedNeurons = [30, 31, 32, 33];

    private sealed record Probe(string Kind, byte[] Request, int[] Expected);

    private sealed record Outcome(Probe Probe, RawHttp.Response Response);

    [Fact]
    public async Task SixteenClientsOfPagesAndAttacks_No5xxNothingLeakedAtlasConsistent()
    {
        string secret = "UNRAVEL-SECRET-" + Guid.NewGuid().ToString("N");
        string secretFile = Path.Combine(fixture.Dir, "secret.txt");
        File.WriteAllText(secretFile, secret);
        var concepts = new CountingMethod(ConceptsMethod.Instance);
        var pure = new CountingMethod(PureMethod.Instance);
        var options = new ExplorerOptions { Port = 0, Methods = [concepts, pure] };
        await using WebApplication app = ExplorerServer.Build(AtlasSession.Open(fixture.AtlasPath), ReportSources.None, options);
        await app.StartAsync();
        int port = new Uri(ExplorerServer.Url(app)).Port;
        string host = $"127.0.0.1:{port}";
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(120));   // a hung server fails the test, never hangs it
        RawHttp.Response index = await RawHttp.SendAsync(port, RawHttp.Request("GET", "/index.html", host), bound.Token);
        Assert.Equal(200, index.Status);
        string token = Regex.Match(index.Body, "name=\"unravel-token\" content=\"([^\"]+)\"").Groups[1].Value;
        Assert.True(token.Length >= 40, "the served page carries the token");

        Probe[] attacks = [.. Attacks(host, port, token, secretFile)];
        var outcomes = new ConcurrentBag<Outcome>();
        var go = new TaskCompletionSource();
        DateTime end = DateTime.UtcNow + Traffic;
        Task[] clients = [.. Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            await go.Task;
            var rng = new Random(i);
            // The analyses first, all clients at once: four clients per concepts neuron, two per PURE neuron.
            var first = new List<Probe> { Analyse(host, token, "concepts", ConceptNeurons[i % ConceptNeurons.Length]) };
            if (i < 2 * PureNeurons.Length) first.Add(Analyse(host, token, "pure", PureNeurons[i % PureNeurons.Length]));
            foreach (Probe p in first) outcomes.Add(new Outcome(p, await RawHttp.SendAsync(port, p.Request, bound.Token)));
            while (DateTime.UtcNow < end)
            {
                Probe p = Next(rng, host, port, token, attacks);
                outcomes.Add(new Outcome(p, await RawHttp.SendAsync(port, p.Request, bound.Token)));
            }
        }, bound.Token))];
        var wall = System.Diagnostics.Stopwatch.StartNew();
        go.SetResult();
        await Task.WhenAll(clients);
        wall.Stop();

        Report(outcomes, wall.Elapsed);
        string dir = fixture.Dir;
        var wrong = outcomes.Where(o => !o.Probe.Expected.Contains(o.Response.Status))
            .Select(o => $"{o.Probe.Kind}: {Printable(o.Probe.Request)} → {o.Response.Status} {Shorten(o.Response.Body)}").Distinct().Take(20).ToList();
        Assert.True(wrong.Count == 0, "unexpected answers:\n" + string.Join("\n", wrong));
        Assert.DoesNotContain(outcomes, o => o.Response.Status >= 500);
        Assert.DoesNotContain(outcomes, o => o.Response.Body.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(outcomes, o => o.Response.Body.Contains("SQLite format 3", StringComparison.Ordinal));
        Assert.DoesNotContain(outcomes, o => o.Response.Body.Contains(dir, StringComparison.Ordinal) && !Encoding.Latin1.GetString(o.Probe.Request).Contains(dir, StringComparison.Ordinal));
        Assert.All(outcomes.Where(o => o.Probe.Kind == "page"), o => Assert.Contains(token, o.Response.Body, StringComparison.Ordinal));

        // Each requested analysis ran once, whatever the number of concurrent requests; none ran for a refused request.
        Assert.Equal(ConceptNeurons.Order(), concepts.Calls.Select(c => c.Neuron).Order());
        Assert.Equal(PureNeurons.Order(), pure.Calls.Select(c => c.Neuron).Order());
        AssertAtlasConsistent([0, 1, .. ConceptNeurons], [0, .. PureNeurons]);
    }

    /// <summary>Method files and atlas.db rows of layer3 are exactly those of the expected neurons' records.</summary>
    private void AssertAtlasConsistent(int[] conceptNeurons, int[] pureNeurons)
    {
        AtlasReader atlas = AtlasReader.Open(fixture.AtlasPath);
        Assert.Equal(conceptNeurons.Order(), ConceptsMethod.Instance.Analysed(atlas, Layer));
        Assert.Equal(pureNeurons.Order(), PureMethod.Instance.Analysed(atlas, Layer));
        using AtlasDatabase db = AtlasDatabase.Open(atlas);
        var expectedConcepts = conceptNeurons.Order().SelectMany(n => ConceptsMethod.Instance.Read(atlas, Layer, n)!.Result.Concepts.Select(c => $"{n}/{c.Id}").Order(StringComparer.Ordinal));
        Assert.Equal(expectedConcepts, Rows(db, "SELECT neuron, concept FROM concepts WHERE layer = $layer ORDER BY neuron, concept"));
        var expectedVns = pureNeurons.Order().SelectMany(n => PureMethod.Instance.Read(atlas, Layer, n)!.Result.VirtualNeurons.Select(v => $"{n}/{v.Id}").Order(StringComparer.Ordinal));
        Assert.Equal(expectedVns, Rows(db, "SELECT neuron, vn FROM virtual_neurons WHERE layer = $layer ORDER BY neuron, vn"));
        var expectedCounts = conceptNeurons.Order().Select(n => $"{n}/{ConceptsMethod.Instance.Read(atlas, Layer, n)!.Result.Polysemanticity.Concepts}");
        Assert.Equal(expectedCounts, Rows(db, "SELECT idx, concepts FROM neurons WHERE layer = $layer AND concepts IS NOT NULL ORDER BY idx"));
    }

    private static IEnumerable<string> Rows(AtlasDatabase db, string sql) =>
        db.Query(sql, ("$layer", Layer)).Rows.Select(r => string.Join("/", r.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));

    private void Report(IReadOnlyCollection<Outcome> outcomes, TimeSpan wall)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{outcomes.Count} requests from {Clients} clients in {wall.TotalSeconds:0.0} s ({outcomes.Count / wall.TotalSeconds:0} requests/s), {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
        output.WriteLine(Latency("all", outcomes));
        foreach (var group in outcomes.GroupBy(o => o.Probe.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
            output.WriteLine(Latency(group.Key, group.ToList()) + "  statuses " + string.Join(", ", group.GroupBy(o => o.Response.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}")));
    }

    private static string Latency(string kind, IReadOnlyCollection<Outcome> outcomes)
    {
        double[] ms = [.. outcomes.Select(o => o.Response.Milliseconds).Order()];
        double P(double q) => ms[Math.Clamp((int)Math.Ceiling(q * ms.Length) - 1, 0, ms.Length - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"{kind,-22} {ms.Length,6} requests  p50 {P(0.50),8:0.0} ms  p99 {P(0.99),8:0.0} ms  max {ms[^1],8:0.0} ms");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static Probe Analyse(string host, string token, string method, int neuron) =>
        new("analyse", RawHttp.Request("POST", $"/api/analyse/{method}/{Layer}/{neuron}", host, [$"{RequestGuard.TokenHeader}: {token}", $"Origin: http://{host}", "Sec-Fetch-Site: same-origin"], []), [302]);

    /// <summary>A request of the mix: 40 % pages, 8 % invalid ids, 5 % repeated analyses, the rest attacks.</summary>
    private static Probe Next(Random rng, string host, int port, string token, Probe[] attacks)
    {
        int roll = rng.Next(100);
        if (roll < 40)
        {
            string name = rng.Next(4) switch { 0 => $"localhost:{port}", 1 => $"[::1]:{port}", _ => host };
            string target = rng.Next(4) switch { 0 => "/index.html", 1 => $"/layers/{Layer}.html", 2 => "/layers/layer2.html", _ => $"/neurons/{Layer}/{rng.Next(64)}.html" };
            return new Probe("page", RawHttp.Request("GET", target, name), [200]);
        }
        if (roll < 48)
        {
            (string target, int status) = rng.Next(5) switch
            {
                0 => ($"/neurons/{Layer}/x.html", 400),
                1 => ($"/neurons/{Layer}/-1.html", 400),
                2 => ($"/neurons/{Layer}/64.html", 404),
                3 => ("/layers/nope.html", 404),
                _ => ($"/neurons/nope/{rng.Next(64)}.html", 404),
            };
            return new Probe("invalid id", RawHttp.Request("GET", target, host), [status]);
        }
        if (roll < 53)
        {
            bool conceptsRun = rng.Next(2) == 0;
            return Analyse(host, token, conceptsRun ? "concepts" : "pure", conceptsRun ? ConceptNeurons[rng.Next(ConceptNeurons.Length)] : PureNeurons[rng.Next(PureNeurons.Length)]);
        }
        return attacks[rng.Next(attacks.Length)];
    }

    private static IEnumerable<Probe> Attacks(string host, int port, string token, string secretFile)
    {
        string escaped = Uri.EscapeDataString(secretFile);
        string[] traversal =
        [
            "/../secret.txt", "/../../secret.txt", "/neurons/../../secret.txt", "/layers/../../secret.txt.html", "/neurons/layer3/../../../secret.txt",
            "/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt", "/layers/%2e%2e%2f%2e%2e%2fsecret.txt", "/neurons/layer3/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt",
            "/%2E%2E%2F%2E%2E%2Fsecret.txt", "/layers/..%2F..%2Fsecret.txt",
            "/%252e%252e%252fsecret.txt", "/layers/%252e%252e%252f%252e%252e%252fsecret.txt.html", "/neurons/%252e%252e/%252e%252e%252fsecret.txt",
            "/..%5c..%5csecret.txt", "/layers/..%5c..%5csecret.txt.html", "/neurons/..%5c..%5c/secret.txt", "/..\\..\\secret.txt",
            "/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt", "/layers/%c0%ae%c0%ae%c0%afsecret.txt.html", "/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afsecret.txt",
            secretFile, "/" + secretFile, "/layers/" + escaped, "/neurons/layer3/" + escaped, "/neurons/" + escaped + "/1.html",
            "/etc/passwd", "/layers/%2fetc%2fpasswd.html", "/proc/self/environ",
            "/index.html%00", "/neurons/layer3/1%00.html", "/layers/layer3%00.html", "/layers/layer3.html%00/../../secret.txt", "/index.html\0",
            "/atlas.db", "/manifest.json", "/methods/concepts/layer3/neuron_0.json", "/atlas/atlas.db", "/../atlas/manifest.json",
            $"http://{host}/../secret.txt", $"http://{host}/%2e%2e/%2e%2e/secret.txt",
        ];
        foreach (string target in traversal) yield return new Probe("traversal", RawHttp.Request("GET", target, host), [400, 404]);

        string analyse = $"/api/analyse/concepts/{Layer}/";
        byte[] big = new byte[8192];
        Array.Fill(big, (byte)'a');
        string chunked = $"{big.Length:x}\r\n{Encoding.ASCII.GetString(big)}\r\n0\r\n\r\n";
        yield return new Probe("oversized line", RawHttp.Request("GET", "/index.html?" + new string('a', 10_000), host), [414]);
        yield return new Probe("oversized header", RawHttp.Request("GET", "/index.html", host, ["X-Pad: " + new string('a', 20_000)]), [431]);
        yield return new Probe("oversized header", RawHttp.Request("GET", "/index.html", host, [.. Enumerable.Range(0, 100).Select(i => $"X-Pad-{i}: {i}")]), [431]);
        yield return new Probe("oversized body", RawHttp.Request("POST", analyse + ConceptNeurons[0], host, [$"{RequestGuard.TokenHeader}: {token}", "Content-Length: 10000000"], []), [413]);
        yield return new Probe("oversized body", RawHttp.Request("GET", "/index.html", host, null, big), [413]);
        yield return new Probe("oversized body", RawHttp.Request("POST", analyse + ConceptNeurons[0], host, [$"{RequestGuard.TokenHeader}: {token}", "Transfer-Encoding: chunked"], Encoding.ASCII.GetBytes(chunked)), [413]);

        foreach (string bad in new[] { "evil.example", $"evil.example:{port}", "127.0.0.1.nip.io", $"localhost.evil.example:{port}", "[::2]", "10.0.0.1" })
            yield return new Probe("bad host", RawHttp.Request("GET", "/index.html", bad), [421]);
        yield return new Probe("bad host", RawHttp.Request("POST", analyse + RefusedNeurons[0], "evil.example", [$"{RequestGuard.TokenHeader}: {token}"], []), [421]);
        yield return new Probe("no host", RawHttp.Request("GET", "/index.html", null), [400]);
        yield return new Probe("no host", RawHttp.Request("GET", "/index.html", null, version: "HTTP/1.0"), [400]);

        string form = "Content-Type: application/x-www-form-urlencoded";
        (string[] Headers, string Method)[] crossSite =
        [
            ([], "POST"),
            (["Origin: http://evil.example"], "POST"),
            ([form], "POST"),
            ([$"{RequestGuard.TokenHeader}: {token}", "Origin: http://evil.example"], "POST"),
            ([$"{RequestGuard.TokenHeader}: {token}", $"Origin: http://evil.example:{port}"], "POST"),
            ([$"{RequestGuard.TokenHeader}: {token}", "Origin: null"], "POST"),
            ([$"{RequestGuard.TokenHeader}: {token}", "Sec-Fetch-Site: cross-site"], "POST"),
            ([$"{RequestGuard.TokenHeader}: {token}", "Sec-Fetch-Site: same-site"], "POST"),
            ([$"{RequestGuard.TokenHeader}: {token}x"], "POST"),
            ([$"{RequestGuard.TokenHeader}: "], "POST"),
            ([], "PUT"),
            ([], "DELETE"),
        ];
        foreach ((string[] headers, string method) in crossSite)
            yield return new Probe("cross-origin post", RawHttp.Request(method, analyse + RefusedNeurons[headers.Length % RefusedNeurons.Length], host, headers, method == "POST" && headers.Contains(form) ? "a=b"u8.ToArray() : []), [403]);
    }

    private static string Printable(byte[] request)
    {
        string line = Encoding.Latin1.GetString(request);
        line = line[..Math.Max(0, line.IndexOf("\r\nConnection: close", StringComparison.Ordinal))].Replace("\r\n", " | ", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
        return Shorten(line);
    }

    private static string Shorten(string s) => s.Length > 160 ? s[..160] + "…" : s.Trim();
}
