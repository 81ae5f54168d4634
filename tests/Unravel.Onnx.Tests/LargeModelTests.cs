// Full-size GoogLeNet and ViT-B/16 (27 and 330 MB of weights, too large to commit) exported at test time with Debian's
// PyTorch (tools/fixtures/onnx_models.py --large), then checked like the committed fixtures against PyTorch and ONNX
// Runtime. Skipped, with the reason, where /usr/bin/python3 with torch and torchvision is absent.

using System.Diagnostics;
using Xunit.Abstractions;

namespace Unravel.Onnx.Tests;

public sealed class LargeModelTests(LargeModelTests.Exports exports, ITestOutputHelper output) : IClassFixture<LargeModelTests.Exports>
{
    private const string Python = "/usr/bin/python3";

    private static bool HasTorch =>
        File.Exists(Python) && Directory.Exists("/usr/lib/python3/dist-packages/torch") && Directory.Exists("/usr/lib/python3/dist-packages/torchvision");

    /// <summary>Exports the models once for the class into a temporary folder.</summary>
    public sealed class Exports : IDisposable
    {
        private readonly Lazy<string> _folder = new(Export);

        public string Folder => _folder.Value;

        private static string Export()
        {
            string dir = Directory.CreateTempSubdirectory("unravel-onnx-large-").FullName;
            string script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "tools", "fixtures", "onnx_models.py"));
            var psi = new ProcessStartInfo(Python, [script, "--large", dir, "googlenet", "vit_b_16_full"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using Process p = Process.Start(psi)!;
            string stderr = p.StandardError.ReadToEndAsync().Result;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{script} failed ({p.ExitCode}): {stderr[^Math.Min(2000, stderr.Length)..]}");
            return dir;
        }

        public void Dispose()
        {
            if (_folder.IsValueCreated) Directory.Delete(_folder.Value, recursive: true);
        }
    }

    private sealed class TorchFactAttribute : TheoryAttribute
    {
        public TorchFactAttribute()
        {
            if (!HasTorch) Skip = $"{Python} with torch and torchvision is absent (apt-get install python3-torch python3-torchvision)";
        }
    }

    public static TheoryData<string> Large => new() { "googlenet", "vit_b_16_full" };

    [TorchFact]
    [MemberData(nameof(Large))]
    public void FullSizeModel_MatchesPyTorchAndOnnxRuntime(string model)
    {
        string folder = Path.Combine(exports.Folder, model);
        var checks = new WholeModelTests(output);
        checks.Forward_LogitsAndActivations_MatchPyTorch(folder);
        checks.Forward_LogitsAndActivations_MatchOnnxRuntime(folder);
        checks.Backward_InputGradient_MatchesPyTorch(folder);
    }
}
