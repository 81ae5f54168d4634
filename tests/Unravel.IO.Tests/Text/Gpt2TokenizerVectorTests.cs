// Id-for-id agreement with the references over the ≥ 10,000 strings of gpt2_vectors.jsonl.gz (Brown corpus sentences,
// unicode edge cases, random mixtures, lone surrogates) and 51,257 decode vectors. Expected ids come from the npm
// package gpt-3-encoder@1.1.4 ("ids") and, where OpenAI's encoder.py differs, from a re-implementation of it checked
// with Python's `regex` module ("py"); see tools/fixtures/tokenizer_vectors.js and tokenizer_vectors_check.py.

using Unravel.IO.Text;

namespace Unravel.IO.Tests.Text;

public sealed class Gpt2TokenizerVectorTests
{
    private static IEnumerable<Gpt2Vector> EncodeVectors => Gpt2TestAssets.Vectors.Where(v => v.Ids is not null);

    [Fact]
    public void Vectors_FixtureFile_HoldsAtLeastTenThousandStrings()
    {
        Assert.True(EncodeVectors.Count() >= 10_000, $"only {EncodeVectors.Count()} encode vectors");
        Assert.Contains(EncodeVectors, v => v.PythonIds is not null);
        Assert.Contains(EncodeVectors, v => v.HasLoneSurrogates);
    }

    [Fact]
    public void Encode_JavaScriptWhitespace_EqualsGpt3EncoderOnAllVectors()
    {
        AssertAllEqual(Gpt2TestAssets.JavaScript, Gpt2Whitespace.JavaScript, v => v.Ids!);
    }

    [Fact]
    public void Encode_DefaultPythonWhitespace_EqualsEncoderPyOnAllVectors()
    {
        AssertAllEqual(Gpt2TestAssets.Python, Gpt2Whitespace.Python, v => v.PythonExpected!);
    }

    [Fact]
    public void Decode_EncodedVectors_RoundTripsValidStrings()
    {
        Gpt2Tokenizer tokenizer = Gpt2TestAssets.Python;
        foreach (Gpt2Vector v in EncodeVectors)
        {
            string expected = v.HasLoneSurrogates ? v.Decoded! : v.Text;
            string actual = tokenizer.Decode(tokenizer.Encode(v.Text));
            Assert.True(expected == actual,
                $"line {v.Line} ({v.Source}): Decode(Encode({Gpt2TestAssets.Escape(v.Text)})) = {Gpt2TestAssets.Escape(actual)}, expected {Gpt2TestAssets.Escape(expected)}");
        }
    }

    [Fact]
    public void Decode_ReferenceDecodeVectors_EqualsTextDecoderWithReplacement()
    {
        Gpt2Tokenizer tokenizer = Gpt2TestAssets.Python;
        int count = 0;
        foreach (Gpt2Vector v in Gpt2TestAssets.Vectors.Where(v => v.DecodeIds is not null))
        {
            string actual = tokenizer.Decode(v.DecodeIds!);
            Assert.True(v.Text == actual,
                $"line {v.Line}: Decode([{string.Join(", ", v.DecodeIds!)}]) = {Gpt2TestAssets.Escape(actual)}, expected {Gpt2TestAssets.Escape(v.Text)}");
            if (v.DecodeIds!.Length == 1)
                Assert.Equal(v.Text, tokenizer.TokenText(v.DecodeIds[0]));
            count++;
        }
        Assert.Equal(tokenizer.VocabSize + 1000, count);
    }

    private static void AssertAllEqual(Gpt2Tokenizer tokenizer, Gpt2Whitespace whitespace, Func<Gpt2Vector, int[]> expectedOf)
    {
        int checkedCount = 0;
        foreach (Gpt2Vector v in EncodeVectors)
        {
            int[] expected = expectedOf(v);
            int[] actual = tokenizer.Encode(v.Text);
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                string pieces = string.Join(" | ", Gpt2PreTokenizer.Split(v.Text, whitespace).Select(Gpt2TestAssets.Escape));
                Assert.Fail($"line {v.Line} ({v.Source}) {Gpt2TestAssets.Escape(v.Text)}\n  expected [{string.Join(", ", expected)}]\n"
                    + $"  actual   [{string.Join(", ", actual)}]\n  pre-tokens {pieces}");
            }
            checkedCount++;
        }
        Assert.True(checkedCount >= 10_000);
    }
}
