// Plain-text tables with aligned columns (numbers right-aligned) for command output.

using System.Text;

namespace Unravel.Cli;

internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public override string ToString()
    {
        int[] widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var sb = new StringBuilder();
        Line(sb, headers, widths);
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] r in _rows) Line(sb, r, widths);
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string[] cells, int[] widths)
    {
        int start = sb.Length;
        for (int i = 0; i < widths.Length; i++)
        {
            string c = i < cells.Length ? cells[i] : "";
            bool numeric = c.Length > 0 && (char.IsDigit(c[0]) || c[0] == '-' && c.Length > 1 && char.IsDigit(c[1])) && !c.Contains(' ');
            sb.Append(numeric ? c.PadLeft(widths[i]) : c.PadRight(widths[i]));
            if (i < widths.Length - 1) sb.Append("  ");
        }
        int end = sb.Length;
        while (end > start && sb[end - 1] == ' ') end--;
        sb.Length = end;
        sb.AppendLine();
    }
}
