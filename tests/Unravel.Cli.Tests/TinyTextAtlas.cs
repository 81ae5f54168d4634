// A tiny text atlas for the tests of the text methods (embed, sae) and of killing them: a random 2-block GPT-2 of width
// 16, saved with its config, collected over a short English text in 16-token windows at both MLP layers and one
// residual stream.

using Unravel.Nn;
using Unravel.Models.Text;

namespace Unravel.Cli.Tests;

internal static class TinyTextAtlas
{
    private const string Text =
        "The jury said it did find that many of the laws were outmoded or inadequately administered. The city purchasing department, " +
        "the jury said, is lacking in experienced clerical personnel as a result of city personnel policies. It urged that the city take " +
        "steps to remedy this problem. Implementation of the law was left to the state welfare department, which had seen fit to ignore " +
        "the orders of the court. The petition listed the mayor's occupation as attorney and his age as 71. Regarding the new highway " +
        "program, the governor said that the money would be spent on roads in the rural counties first, before any urban construction. " +
        "Nevertheless, the committee found that most of the money had gone to contractors who were friends of the old administration.";

    /// <summary>Writes the model, the text and the atlas into <paramref name="dir"/>; returns the atlas folder.</summary>
    public static string Create(string dir)
    {
        string model = Path.Combine(dir, "tiny-gpt2");
        new Gpt2(WeightSource.Initialize(7), new Gpt2Config(50257, 16, 2, 2, 16)).Save(model);
        string text = Path.Combine(dir, "text.txt");
        File.WriteAllText(text, Text);
        string atlas = Path.Combine(dir, "atlas");
        Assert.Equal(ExitCodes.Success, CollectCommand.Run(new CollectCommand.Request(model, text, "h.0.mlp.hook_post,h.1.mlp.hook_post,h.0.hook_resid_post", atlas,
            K: 4, Batch: 4, Window: 16, Force: true), TextWriter.Null, TextWriter.Null));
        return atlas;
    }
}
