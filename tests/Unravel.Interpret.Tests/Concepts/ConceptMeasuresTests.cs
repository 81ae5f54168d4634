// Closed-form checks of the small measures of the concept-vector method: label entropy, effective number of concepts,
// threshold parsing.

using Unravel.Interpret.Concepts;

namespace Unravel.Interpret.Tests.Concepts;

public sealed class ConceptMeasuresTests
{
    [Fact]
    public void LabelEntropy_KnownDistributions_MatchClosedForm()
    {
        int[] labels = [0, 0, 1, 1, 2, 3, 7, 7];
        Assert.Equal(0, LabelEntropy.Bits([0, 1], labels));
        Assert.Equal(1, LabelEntropy.Bits([0, 1, 2, 3], labels), 12);
        Assert.Equal(2, LabelEntropy.Bits([0, 2, 4, 5], labels), 12);
        // p = (1/2, 1/4, 1/4): 1.5 bits.
        Assert.Equal(1.5, LabelEntropy.Bits([6, 7, 0, 2], labels), 12);
        Assert.Equal(0, LabelEntropy.Bits([], labels));
        Assert.Throws<ArgumentOutOfRangeException>(() => LabelEntropy.Bits([8], labels));
    }

    [Fact]
    public void EffectiveCount_Sizes_IsExpOfShareEntropy()
    {
        Assert.Equal(0, ConceptVectors.EffectiveCount([]));
        Assert.Equal(1, ConceptVectors.EffectiveCount([37]), 12);
        Assert.Equal(2, ConceptVectors.EffectiveCount([50, 50]), 12);
        Assert.Equal(3, ConceptVectors.EffectiveCount([7, 7, 7]), 12);
        Assert.Equal(Math.Exp(-0.9 * Math.Log(0.9) - 0.1 * Math.Log(0.1)), ConceptVectors.EffectiveCount([90, 10]), 12);
    }

    [Fact]
    public void ConceptThreshold_Parse_ReadsAbsRelAndNone()
    {
        Assert.Equal(ConceptThreshold.Absolute(15), ConceptThreshold.Parse("abs:15"));
        Assert.Equal(ConceptThreshold.Scaled(2.5), ConceptThreshold.Parse(" REL:2.5 "));
        Assert.Equal(ConceptThreshold.None, ConceptThreshold.Parse("none"));
        Assert.Equal(30, ConceptThreshold.Parse("rel:3").Resolve(10), 12);
        Assert.Equal(15, ConceptThreshold.Parse("abs:15").Resolve(10), 12);
        Assert.Equal("rel:2.5", ConceptThreshold.Scaled(2.5).ToString());
        foreach (string bad in new[] { "15", "abs:", "abs:-1", "rel:0", "pct:3", "abs:nan" })
            Assert.Throws<FormatException>(() => ConceptThreshold.Parse(bad));
    }
}
