// A coverage-free, in-process mutation loop (AFL's havoc stage in miniature: bit flips, interesting values, byte
// inserts and deletes, block copies and splices between seeds) for a short CI budget where AFL++ is not installed.
// It finds shallow crashes only; the coverage-guided run is the AFL++ command of fuzz/README.md.

using System.Buffers.Binary;
using System.Diagnostics;

namespace Unravel.Fuzz;

/// <summary>Mutates the seeds of a corpus folder for a fixed time and stops at the first escaping exception.</summary>
public static class SmokeLoop
{
    private static readonly long[] s_interesting =
        [0, 1, -1, 127, 128, 255, 256, 32767, -32768, 65535, 65536, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, 1L << 31, 1L << 32];

    /// <summary>Returns 0 when nothing escaped within <paramref name="budget"/> (or <paramref name="maxExecutions"/>), else 1 (the input is saved under fuzz-crashes/).</summary>
    public static int Run(string target, TimeSpan budget, string corpus, long maxExecutions = long.MaxValue)
    {
        List<byte[]> seeds = Directory.EnumerateFiles(corpus).Order().Select(File.ReadAllBytes).ToList();
        if (seeds.Count == 0)
        {
            Console.Error.WriteLine($"{corpus}: no seeds");
            return 2;
        }
        int seed = Environment.GetEnvironmentVariable("FUZZ_SEED") is { } s ? int.Parse(s) : Environment.TickCount;
        var rng = new Random(seed);
        var clock = Stopwatch.StartNew();
        long executions = 0;
        foreach (byte[] start in seeds)
            if (!Execute(target, start, corpus, ref executions)) return 1;
        while (clock.Elapsed < budget && executions < maxExecutions)
        {
            byte[] input = Mutate(rng, seeds[rng.Next(seeds.Count)], seeds);
            if (!Execute(target, input, corpus, ref executions)) return 1;
        }
        Console.WriteLine($"{target}: {executions} executions in {clock.Elapsed.TotalSeconds:F0} s (FUZZ_SEED={seed}), no crash");
        return 0;
    }

    private static bool Execute(string target, byte[] input, string corpus, ref long executions)
    {
        executions++;
        try
        {
            Targets.Run(target, input);
            return true;
        }
        catch (Exception e)
        {
            string folder = Directory.CreateDirectory("fuzz-crashes").FullName;
            string saved = Path.Combine(folder, $"{target}-{Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(input))[..12]}");
            File.WriteAllBytes(saved, input);
            Console.WriteLine($"{target}: CRASH after {executions} executions, input saved to {saved}");
            if (input.Length <= 4096) Console.WriteLine("input (base64): " + Convert.ToBase64String(input));
            Console.WriteLine(e);
            return false;
        }
    }

    private static byte[] Mutate(Random rng, byte[] seed, List<byte[]> seeds)
    {
        var data = new List<byte>(seed);
        int rounds = 1 << rng.Next(1, 5);
        for (int r = 0; r < rounds; r++)
        {
            int pos = data.Count == 0 ? 0 : rng.Next(data.Count);
            switch (rng.Next(data.Count == 0 ? 1 : 7))
            {
                case 0: // insert random bytes
                    for (int i = rng.Next(1, 9); i > 0; i--) data.Insert(pos, (byte)rng.Next(256));
                    break;
                case 1: // flip one bit
                    data[pos] ^= (byte)(1 << rng.Next(8));
                    break;
                case 2: // random byte
                    data[pos] = (byte)rng.Next(256);
                    break;
                case 3: // interesting value of width 1, 2, 4 or 8, either endianness
                    {
                        int width = 1 << rng.Next(4);
                        if (pos + width > data.Count) break;
                        Span<byte> v = stackalloc byte[8];
                        long value = s_interesting[rng.Next(s_interesting.Length)];
                        if (rng.Next(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(v, value);
                        else BinaryPrimitives.WriteInt64BigEndian(v, value << (64 - 8 * width));
                        for (int i = 0; i < width; i++) data[pos + i] = v[i];
                        break;
                    }
                case 4: // delete a block
                    data.RemoveRange(pos, Math.Min(data.Count - pos, rng.Next(1, 33)));
                    break;
                case 5: // duplicate a block in place
                    {
                        int len = Math.Min(data.Count - pos, rng.Next(1, 65));
                        data.InsertRange(rng.Next(data.Count + 1), data.GetRange(pos, len));
                        break;
                    }
                default: // splice in a block of another seed
                    {
                        byte[] other = seeds[rng.Next(seeds.Count)];
                        if (other.Length == 0) break;
                        int from = rng.Next(other.Length), len = Math.Min(other.Length - from, rng.Next(1, 129));
                        int at = rng.Next(data.Count + 1);
                        data.InsertRange(at, other.AsSpan(from, len).ToArray());
                        break;
                    }
            }
        }
        return data.ToArray();
    }
}
