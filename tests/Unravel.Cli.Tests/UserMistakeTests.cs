// The mistakes a new user makes, across every command: each must end with exit code 2, one "error:" line that names
// the file, key or layer concerned, a "hint:" where one helps, and never a stack trace. Placeholders in braces are the
// fixture's files ({atlas}: a real atlas, {newer}: one from a newer format, {png}, {text}, {corrupt}, …).

using System.CommandLine;

namespace Unravel.Cli.Tests;

public sealed class UserMistakeTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    public static TheoryData<string, string> Mistakes => new()
    {
        // run / inspect: the model reference
        { "run nope-model --input {png}", "'nope-model'" },
        { "run {uncarded} --input {png}", "weights.safetensors: a checkpoint file needs its architecture" },
        { "run {uncarded} --arch resnet99 --input {png}", "unknown architecture 'resnet99'" },
        { "run {uncarded} --arch resnet18 --input {png}", "weights.safetensors" },
        { "run {corrupt} --arch small-resnet-16 --input {png}", "corrupt.safetensors" },
        { "run fashion-small-resnet --input {dir}/missing.png", "missing.png" },
        { "run fashion-small-resnet --input {text}", "prompt.txt" },
        { "run fashion-small-resnet --input {png} --top 0", "--top" },
        { "inspect nope-model", "'nope-model'" },
        { "inspect {uncarded} --arch onnx", "not a valid ONNX model" },
        // attribute
        { "attribute fashion-small-resnet --input {images} --index 99999 --out {dir}/a.png", "--index 99999" },
        { "attribute fashion-small-resnet --input {png} --out {dir}/no/such/folder/a.png", "does not exist" },
        { "attribute fashion-small-resnet --input {png} --target 10 --out {dir}/a.png", "target class 10" },
        { "attribute fashion-small-resnet --input {png} --condition layer9.0:1 --out {dir}/a.png", "'layer9.0'" },
        { "attribute fashion-small-resnet --input {png} --epsilon NaN --out {dir}/a.png", "--epsilon NaN" },
        // collect
        { "collect fashion-small-resnet --data {dir}/missing.gz --layers layer2 --out {dir}/c1", "missing.gz" },
        { "collect fashion-small-resnet --data {images} --layers layer9 --out {dir}/c2", "'layer9'" },
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {atlas}", "already exists" },
        { "collect brown-gpt2 --data {images} --format idx --layers h.0.mlp.hook_post --out {dir}/c3", "--format idx" },
        { "collect fashion-small-resnet --data {text} --format text --layers layer2 --out {dir}/c4", "--format text" },
        { "collect {uncarded} --data {images} --layers layer2 --out {dir}/c5", "needs its architecture" },
        // concepts
        { "concepts {dir}/no-atlas --layer layer2", "no-atlas: not an atlas" },
        { "concepts {atlas} --layer layer9", "no layer 'layer9'" },
        { "concepts {atlas} --layer layer2 --neurons 999", "has 32 neurons" },
        { "concepts {atlas} --layer layer2 --neurons x", "--neurons: 'x'" },
        { "concepts {atlas} --layer layer2 --cut rel:abc", "--cut" },
        { "concepts {newer} --layer layer2", "format_version" },
        { "concepts {broken} --layer layer2", "manifest.json: not valid JSON" },
        // pure
        { "pure {atlas} --layer layer3 --lower nope", "'nope'" },
        { "pure {atlas} --layer layer3 --k 0", "--k" },
        { "pure {atlas} --layer layer9", "no layer 'layer9'" },
        { "pure {atlas} --layer layer3 --neurons 5 --all", "--neurons and --all" },
        // neurons / query / merge
        { "neurons {atlas} --layer layer9", "no layer 'layer9'" },
        { "neurons {atlas} --layer layer2 --sort nope", "unknown sort key 'nope'" },
        { "query {atlas} SELEC", "SQL" },
        { "query {dir}/no-atlas \"SELECT 1\"", "no-atlas: not an atlas" },
        { "merge {atlas} {atlas} --out {dir}/m", "state.bin" },
        // absurd counts, an existing file as --out, a resume without checkpoint, query limits
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {dir}/c6 --k 2000000000", "--k must be between 1 and 10000 (got 2000000000)" },
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {dir}/c7 --batch 2000000000", "--batch must be between 1 and 65536" },
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {png}", "shirt.png is a file; an atlas is a folder" },
        { "collect fashion-small-resnet --data {images} --layers layer2 --out {dir}/c8 --resume", "there is no checkpoint" },
        { "merge {atlas} {atlas} --out {png}", "shirt.png is a file; an atlas is a folder" },
        { "query {atlas} \"SELECT 1\" --max-rows 0", "--max-rows" },
        { "query {atlas} \"SELECT 1\" --timeout 0", "--timeout" },
        { "query {atlas} \"SELECT * FROM neurons\" --max-rows 5", "returns more than 5 rows" },
        { "query {atlas} \"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c\" --timeout 0.5", "ran longer than 0.5 s" },
        // report / serve / demo
        { "report {dir}/no-atlas", "no-atlas: not an atlas" },
        { "report {newer}", "format_version" },
        { "serve {atlas} --port 70000", "--port" },
        { "demo --out {dir}/demo --top 0", "--top" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task Mistake_ExitCode2_MessageNamesIt_NoStackTrace(string command, string expected)
    {
        string[] args = Tokens(Fill(command));
        (int code, string text) = await QuietCli.InvokeAsync(args);
        Assert.True(code == ExitCodes.UsageError, $"exit code {code} for `{command}`:\n{text}");
        Assert.StartsWith("error: ", text);
        Assert.Contains(Fill(expected), text);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("internal error", text);
    }

    [Fact]
    public void Mistakes_CoverEveryAtlasCommandAndAtLeastThirty()
    {
        string[] commands = [.. Mistakes.Select(m => ((string)m[0]).Split(' ')[0]).Distinct()];
        Assert.True(Mistakes.Count >= 30, $"{Mistakes.Count} mistakes");
        foreach (string c in new[] { "run", "inspect", "attribute", "collect", "concepts", "pure", "neurons", "query", "merge", "report", "serve", "demo" })
            Assert.Contains(c, commands);
    }

    private string Fill(string s) => s.Replace("{atlas}", fixture.Atlas).Replace("{newer}", fixture.NewerAtlas).Replace("{broken}", fixture.BrokenAtlas)
        .Replace("{png}", fixture.Png).Replace("{text}", fixture.Text).Replace("{corrupt}", fixture.CorruptCheckpoint)
        .Replace("{uncarded}", fixture.Uncarded).Replace("{images}", CliFixture.Images).Replace("{dir}", fixture.Dir);

    /// <summary>Splits a command line at spaces, keeping "double-quoted" arguments whole.</summary>
    private static string[] Tokens(string line)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char ch in line)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == ' ' && !quoted) { if (current.Length > 0) tokens.Add(current.ToString()); current.Clear(); }
            else current.Append(ch);
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return [.. tokens];
    }
}
