// Normalized mutual information against scikit-learn's normalized_mutual_info_score and mutual_info_score
// (tools/fixtures/neuron_embeddings.py), including its limit cases (one label on both sides; all-distinct labels).

using System.Text.Json;
using Unravel.Interpret.Clustering;
using Unravel.Interpret.Tests.NeuronEmbeddings;

namespace Unravel.Interpret.Tests.Clustering;

public sealed class MutualInformationTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < NeuronClusteringTests.s_root.Value.GetProperty("nmi").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Normalized_MatchesSklearn(int index)
    {
        JsonElement c = NeuronClusteringTests.s_root.Value.GetProperty("nmi")[index];
        int[] a = ClusteringFixture.Ints(c.GetProperty("a")), b = ClusteringFixture.Ints(c.GetProperty("b"));
        Assert.Equal(c.GetProperty("nmi").GetDouble(), MutualInformation.Normalized(a, b), 1e-12);
        Assert.Equal(c.GetProperty("mi").GetDouble(), MutualInformation.Score(a, b), 1e-12);
    }

    [Fact]
    public void Normalized_LengthMismatch_Throws() =>
        Assert.Throws<ArgumentException>(() => MutualInformation.Normalized([0, 1], [0]));
}
