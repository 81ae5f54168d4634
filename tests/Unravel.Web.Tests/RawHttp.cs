// A raw HTTP/1.x client for the explorer's attack tests: sends the exact bytes given (un-normalised paths, foreign or
// missing Host, oversized headers and bodies, NUL bytes), which HttpClient would fix or refuse, and reads the answer up
// to the server's close (every request says Connection: close). A reset after part of the answer ends it; a reset
// before any byte is reported as status 0.

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Unravel.Web.Tests;

internal static class RawHttp
{
    /// <summary>An answer: status (0 = none), head, de-chunked body, and the time from connect to close.</summary>
    public sealed record Response(int Status, string Head, string Body, double Milliseconds);

    /// <summary>The bytes of one request with `Connection: close` (and Content-Length when a body is given and no
    /// Transfer-Encoding header is).</summary>
    public static byte[] Request(string method, string target, string? host, IEnumerable<string>? headers = null, byte[]? body = null, string version = "HTTP/1.1")
    {
        var sb = new StringBuilder($"{method} {target} {version}\r\n");
        if (host is not null) sb.Append("Host: ").Append(host).Append("\r\n");
        List<string> extra = [.. headers ?? []];
        foreach (string h in extra) sb.Append(h).Append("\r\n");
        if (body is not null && !extra.Any(h => h.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase)) && !extra.Any(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)))
            sb.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        sb.Append("Connection: close\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(sb.ToString()), .. body ?? []];
    }

    /// <summary>Sends <paramref name="request"/> to 127.0.0.1:<paramref name="port"/> and reads the answer.</summary>
    public static async Task<Response> SendAsync(int port, byte[] request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        var received = new MemoryStream();
        try
        {
            await socket.SendAsync(request, SocketFlags.None, cancellationToken);
        }
        catch (SocketException)
        {
            // The server answered early (a refused size) and closed: read what it sent.
        }
        var buffer = new byte[16384];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (SocketException)
            {
                break;
            }
            if (n == 0) break;
            received.Write(buffer, 0, n);
        }
        clock.Stop();
        byte[] bytes = received.ToArray();
        int split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        string head = Encoding.Latin1.GetString(bytes, 0, Math.Max(split, 0));
        if (split < 0 || !head.StartsWith("HTTP/1.", StringComparison.Ordinal) || head.Length < 12)
            return new Response(0, "", Encoding.UTF8.GetString(bytes), clock.Elapsed.TotalMilliseconds);
        byte[] body = bytes[(split + 4)..];
        if (head.Contains("\r\nTransfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) body = Dechunk(body);
        return new Response(int.Parse(head.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture), head, Encoding.UTF8.GetString(body), clock.Elapsed.TotalMilliseconds);
    }

    private static byte[] Dechunk(byte[] body)
    {
        var result = new MemoryStream();
        int at = 0;
        while (at < body.Length)
        {
            int eol = body.AsSpan(at).IndexOf("\r\n"u8);
            if (eol < 0) break;
            string size = Encoding.Latin1.GetString(body, at, eol).Split(';')[0];
            if (!int.TryParse(size, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int n) || n == 0) break;
            int start = at + eol + 2;
            result.Write(body, start, Math.Min(n, body.Length - start));
            at = start + n + 2;
        }
        return result.ToArray();
    }
}
