// Runs saved inputs (a crash file, a corpus folder) through one target once each and reports those that escape.

namespace Unravel.Fuzz;

/// <summary>Replays files or folders of inputs.</summary>
public static class Replay
{
    /// <summary>Returns 0 when every input ends normally or with the documented exception, else 1.</summary>
    public static int Run(string target, IEnumerable<string> paths)
    {
        int runs = 0, failures = 0;
        foreach (string path in paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order() : (IEnumerable<string>)[p]))
        {
            runs++;
            try
            {
                Targets.Run(target, File.ReadAllBytes(path));
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine($"{path}: {e.GetType().FullName}: {e.Message}");
                Console.WriteLine(e.StackTrace);
            }
        }
        Console.WriteLine($"{target}: {runs} inputs replayed, {failures} escaped");
        return failures == 0 ? 0 : 1;
    }
}
