// The static report's pages against the fixture atlas: what each page must show, counted from the atlas arrays and the
// method JSON the fixture wrote (independent of the renderer), and the SVG charts against closed forms.

using System.Text.RegularExpressions;
using Unravel.Interpret.Collection;
using Unravel.Atlas.Methods;
using Unravel.Atlas.Report;
using Unravel.Atlas;

namespace Unravel.Web.Tests;

public sealed partial class HtmlReportTests(AtlasFixture fixture) : IClassFixture<AtlasFixture>
{
    [GeneratedRegex("<img src=\"data:image/png;base64,")]
    private static partial Regex PngImage();

    private static int Count(Regex r, string s) => r.Matches(s).Count;

    private static string Between(string html, string start, string end)
    {
        int a = html.IndexOf(start, StringComparison.Ordinal);
        Assert.True(a >= 0, $"'{start}' not in the page");
        int b = html.IndexOf(end, a + start.Length, StringComparison.Ordinal);
        return b < 0 ? html[a..] : html[a..b];
    }

    private HtmlReport Report(ReportMode mode = ReportMode.Static) =>
        new(fixture.Atlas, ReportSources.Of(AtlasSession.Open(fixture.AtlasPath), runModel: false, out _), mode);

    [Fact]
    public void Pages_StaticReport_IndexLayersAndAnalysedNeurons()
    {
        string[] paths = Report().Pages().Select(p => p.Path).ToArray();
        // layer3 has results for neurons 0 and 1; layer2 has none, so it gets the FallbackNeurons most active ones.
        Assert.Equal(["index.html", "layers/layer2.html"], paths.Take(2));
        Assert.Equal(1 + 2 + 2 + HtmlReport.FallbackNeurons, paths.Length);
        Assert.Contains("neurons/layer3/0.html", paths);
        Assert.Contains("neurons/layer3/1.html", paths);
        Assert.DoesNotContain("neurons/layer3/2.html", paths);
    }

    [Fact]
    public void IndexPage_Atlas_ShowsProvenanceLayersAndPolysemanticity()
    {
        string html = Report().IndexPage();
        Assert.Contains(fixture.Atlas.ModelSha256!, html);
        Assert.Contains("small-resnet-16", html);
        Assert.Contains("href=\"layers/layer2.html\"", html);
        Assert.Contains("href=\"layers/layer3.html\"", html);
        // Polysemanticity histogram of layer3: both analysed neurons have 2 concepts → one bar (bin "2") of height max.
        string layer3Card = Between(html, "<h3>layer3</h3>", "</div>");
        Assert.Contains("2 analysed neurons", layer3Card);
        Assert.Single(Regex.Matches(layer3Card, "<rect class=\"bar\""));
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal));
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public void LayerPage_Layer3_OneRowPerNeuronAndLinksToAnalysed()
    {
        string html = Report().LayerPage(fixture.Atlas.Layer("layer3"));
        Assert.Equal(64, Regex.Matches(html, "<tr( class=\"analysed\")?><td").Count);
        Assert.Equal(2, Regex.Matches(html, "<tr class=\"analysed\">").Count);
        Assert.Contains("href=\"../neurons/layer3/0.html\"", html);
        Assert.DoesNotContain("href=\"../neurons/layer3/5.html\"", html);
        Assert.Contains("<th>polysemanticity</th>", html);
        Assert.Contains("<th>pure_k</th>", html);
        // Served: every neuron links.
        Assert.Contains("href=\"../neurons/layer3/5.html\"", Report(ReportMode.Served).LayerPage(fixture.Atlas.Layer("layer3")));
    }

    [Fact]
    public void NeuronPage_AnalysedNeuron_ShowsTopInputsConceptsAndVirtualNeurons()
    {
        string html = Report().NeuronPage(fixture.Atlas.Layer("layer3"), 0);
        TopInputs top = fixture.Atlas.TopInputs("layer3", 0);
        string topSection = Between(html, "<h2>Top inputs</h2>", "<h2");
        Assert.Equal(Math.Min(16, top.Inputs.Length), Count(PngImage(), topSection));
        Assert.Contains($"data-input=\"{top.Inputs[0]}\"", topSection);

        ConceptRecord[] concepts = fixture.Concepts0.Concepts;
        for (int c = 0; c < concepts.Length; c++)
        {
            string section = Between(html, $"<section class=\"concept\" id=\"concept-{c}\">", "</section>");
            long[] expected = concepts[c].TopInputs.Take(8).ToArray();
            long[] shown = Regex.Matches(section, "data-input=\"(\\d+)\"").Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(expected, shown);
            Assert.Contains($"{concepts[c].Size} members", section);
        }
        Assert.Contains("id=\"concept-count\">2 concepts", html);
        Assert.Contains("id=\"vn-count\">2 virtual neurons", html);
        Assert.Equal(2, Regex.Matches(html, "<section class=\"vn\"").Count);
        // Dendrogram: one path per merge, one circle per top input.
        string svg = Between(html, "<svg class=\"dendrogram\"", "</svg>");
        Assert.Equal(top.Inputs.Length - 1, Regex.Matches(svg, "<path ").Count);
        Assert.Equal(top.Inputs.Length, Regex.Matches(svg, "<circle class=\"leaf\"").Count);
    }

    [Fact]
    public void NeuronPage_NotAnalysed_StaticSaysHowServedOffersAnalysis()
    {
        Assert.Contains("unravel concepts ATLAS --layer layer3 --neurons 7", Report().NeuronPage(fixture.Atlas.Layer("layer3"), 7));
        string served = Report(ReportMode.Served).NeuronPage(fixture.Atlas.Layer("layer3"), 7);
        foreach (string method in new[] { "concepts", "pure" })   // one button per registered method
            Assert.Contains($"action=\"../../api/analyse/{method}/layer3/7\"", served);
    }

    [Fact]
    public void NeuronPage_OutOfRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Report().NeuronPage(fixture.Atlas.Layer("layer3"), 64));

    [Fact]
    public void Histogram_LinearScale_BarHeightsProportionalToCounts()
    {
        // Plot height = 150 - 8 - 28 = 114 px; counts 1, 0, 3 → bars 38 and 114 px, the zero bin drawn not at all.
        string svg = Svg.Histogram([1, 0, 3], 0, 3, "x", "h");
        double[] heights = Regex.Matches(svg, "<rect class=\"bar\"[^>]* height=\"([0-9.]+)\"").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([38.0, 114.0], heights);
    }

    [Fact]
    public void Dendrogram_ThreeLeaves_LeafOrderAsScipy()
    {
        // Z = [[0, 1, 1, 2], [2, 3, 2, 3]]: SciPy's dendrogram(Z)['leaves'] is [2, 0, 1] (root's left child is leaf 2).
        string svg = Svg.Dendrogram([[0, 1, 1, 2], [2, 3, 2, 3]], [0, 0, 1], cutHeight: 1.5);
        string[] titles = Regex.Matches(svg, "<title>top input #(\\d+), concept (-?\\d+)</title>").Select(m => m.Groups[1].Value + ":" + m.Groups[2].Value).ToArray();
        Assert.Equal(["2:1", "0:0", "1:0"], titles);
        Assert.Equal(2, Regex.Matches(svg, "<path ").Count);
    }

    [Fact]
    public void Dendrogram_BadLinkage_Throws() =>
        Assert.Throws<ArgumentException>(() => Svg.Dendrogram([[0, 7, 1, 2]], [0, 0], null));
}
