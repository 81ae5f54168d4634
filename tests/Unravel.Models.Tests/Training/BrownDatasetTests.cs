// The Brown split by file on a small planted corpus ca01 … ca20: every 10th file is held out (ca10, ca20), and with a
// validation slice the file before each held-out one (ca09, ca19) is set aside; the rest is the training stream.

using Unravel.IO.Text;
using Unravel.Models.Training;

namespace Unravel.Models.Tests.Training;

public sealed class BrownDatasetTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "unravel-brown-" + Guid.NewGuid().ToString("N"));

    public BrownDatasetTests()
    {
        Directory.CreateDirectory(_dir);
        for (int i = 1; i <= 20; i++)
            File.WriteAllText(Path.Combine(_dir, $"ca{i:D2}"), $"\n\n\tFile/nn number/nn {i}/cd ./.\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Gpt2Tokenizer Tokenizer()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string folder = Path.Combine(d.FullName, "assets", "gpt2-tokenizer");
            if (Directory.Exists(folder)) return Gpt2Tokenizer.Load(Path.Combine(folder, "encoder.json"), Path.Combine(folder, "vocab.bpe"));
        }
        throw new DirectoryNotFoundException("assets/gpt2-tokenizer not found above the test binaries");
    }

    [Fact]
    public void Load_WithValidation_SetsAsideTheFileBeforeEachHeldOutOne()
    {
        Gpt2Tokenizer tokenizer = Tokenizer();
        BrownDataset d = BrownDataset.Load(_dir, tokenizer, heldOutEvery: 10, validation: true);
        Assert.Equal(["ca10", "ca20"], d.HeldOutFiles);
        Assert.Equal(["ca09", "ca19"], d.ValidationFiles);
        Assert.Equal(Enumerable.Range(1, 20).Where(i => i % 10 is not 0 and not 9).Select(i => $"ca{i:D2}"), d.TrainFiles);
        Assert.Equal(BrownDataset.Tokenize(d.ValidationFiles.Select(f => Path.Combine(_dir, f)), tokenizer), d.ValidationTokens);
        Assert.Equal(BrownDataset.Tokenize(d.TrainFiles.Select(f => Path.Combine(_dir, f)), tokenizer), d.TrainTokens);

        BrownDataset without = BrownDataset.Load(_dir, tokenizer, heldOutEvery: 10);
        Assert.Equal(d.HeldOutTokens, without.HeldOutTokens);   // the held-out files do not move
        Assert.Empty(without.ValidationFiles);
        Assert.Equal(18, without.TrainFiles.Count);
    }
}
