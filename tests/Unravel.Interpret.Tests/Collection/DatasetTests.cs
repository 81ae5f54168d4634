// Datasets from disk: an image folder read as torchvision's ImageFolder (classes = ordinally sorted subfolders, files
// sorted, ToTensor + Normalize in closed form) and Brown corpus files with their tags stripped.

using Unravel.Interpret.Collection;
using Unravel.IO.Images;
using Unravel.IO.Text;

namespace Unravel.Interpret.Tests.Collection;

public sealed class DatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unravel-datasets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ImageFolder_SortedClassesAndFiles_NormalisedPixels()
    {
        // Class folders "dog", "Cat", "ant" → labels Cat 0, ant 1, dog 2 (ordinal: upper case first), as Python's sorted().
        var pixels = new Dictionary<string, byte[]>();
        foreach ((string cls, string[] files) in new[] { ("dog", new[] { "b.png", "a.png" }), ("Cat", new[] { "x.png" }), ("ant", new[] { "sub/z.png", "m.png" }) })
            foreach (string f in files)
            {
                string path = Path.Combine(_dir, cls, f);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var image = Image.Create(5, 4, 1);
                for (int i = 0; i < 20; i++) image.Pixels[i] = (byte)(pixels.Count * 40 + i);
                pixels[$"{cls}/{f}"] = image.Pixels;
                Png.Write(path, image);
            }
        var pre = new ImagePreprocessing { ResizeTo = 0, CropTo = 0, Grayscale = true, Mean = [0.5f], Std = [0.25f] };
        ImageDataset data = ImageDataset.FromFolder(_dir, pre);

        string[] expectedOrder = ["Cat/x.png", "ant/m.png", "ant/sub/z.png", "dog/a.png", "dog/b.png"];
        Assert.Equal([0, 1, 1, 2, 2], data.Labels);
        Assert.Equal(["Cat", "ant", "dog"], data.ClassNames);
        Assert.Equal((5, 1, 4, 5), (data.Count, data.Channels, data.Height, data.Width));
        Unravel.Tensors.Tensor all = data.Gather([0, 1, 2, 3, 4]);
        for (int n = 0; n < 5; n++)
        {
            byte[] raw = pixels[expectedOrder[n]];
            for (int i = 0; i < 20; i++) Assert.Equal((raw[i] / 255f - 0.5f) / 0.25f, all.Data[n * 20 + i], 5);
            Assert.Equal(raw, data.Display(n).Pixels);   // display undoes Normalize exactly at byte precision
        }
    }

    [Fact]
    public void ImageFolder_NoClassFolders_Throws()
    {
        var e = Assert.Throws<InvalidDatasetException>(() => ImageDataset.FromFolder(_dir, ImagePreprocessing.ImageNet));
        Assert.Contains("no class subfolders", e.Message);
    }

    [Fact]
    public void Brown_TaggedFiles_GiveTheDetokenizedTextInWindows()
    {
        File.WriteAllText(Path.Combine(_dir, "ca01"), "\n\n\tThe/at Fulton/np-tl County/nn-tl said/vbd ``/`` no/at evidence/nn ''/'' ./.\n\n\tIt/pps ended/vbd ,/, too/rb ./.\n");
        File.WriteAllText(Path.Combine(_dir, "cb02"), "\n\tA/at ``/`` new/jj ''/'' start/nn ?/.\n");
        File.WriteAllText(Path.Combine(_dir, "README"), "not a corpus file");
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Unravel.slnx"))) root = Path.GetDirectoryName(root)!;
        var tokenizer = Gpt2Tokenizer.Load(Path.Combine(root, "assets", "gpt2-tokenizer", "encoder.json"), Path.Combine(root, "assets", "gpt2-tokenizer", "vocab.bpe"));

        TokenWindowDataset brown = TokenWindowDataset.FromBrown(_dir, tokenizer, 4, bos: false);
        const string text = "The Fulton County said \"no evidence\". It ended, too.\n\nA \"new\" start?";
        TokenWindowDataset plain = TokenWindowDataset.FromText(text, tokenizer, 4, bos: false, "expected");
        Assert.Equal(plain.Tokens.ToArray(), brown.Tokens.ToArray());
        Assert.Equal(tokenizer.Encode(text).Length / 4, brown.Count);
        Assert.Contains("Brown corpus", brown.Description);
    }
}
