// Helpers shared by the `unravel-bench` commands: medians, machine facts, JSON numbers.

using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Unravel.Bench;

internal static class BenchReport
{
    /// <summary>The median (mean of the two middle values for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    /// <summary>Writes a rounded number, or null.</summary>
    public static void WriteNullable(Utf8JsonWriter w, string name, double? value, int digits)
    {
        if (value is double v) w.WriteNumber(name, Math.Round(v, digits));
        else w.WriteNull(name);
    }

    /// <summary>Writes the fields every bench JSON starts with: benchmark, tool, version, and an open "machine" object
    /// (cpu, cores, os, runtime) that the caller may extend and must close.</summary>
    public static void WriteHeader(Utf8JsonWriter w, string benchmark)
    {
        Assembly tool = typeof(BenchReport).Assembly;
        w.WriteString("benchmark", benchmark);
        w.WriteString("tool", "unravel");
        w.WriteString("version", tool.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? tool.GetName().Version?.ToString());
        w.WriteStartObject("machine");
        w.WriteString("cpu", CpuModel());
        w.WriteNumber("cores", Environment.ProcessorCount);
        w.WriteString("os", RuntimeInformation.OSDescription);
        w.WriteString("runtime", RuntimeInformation.FrameworkDescription);
    }

    /// <summary>The "model name" line of /proc/cpuinfo, or null where there is none.</summary>
    public static string? CpuModel()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int i and >= 0)
                    return line[(i + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }
}
