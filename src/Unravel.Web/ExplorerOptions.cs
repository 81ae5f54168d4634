// Options of `unravel serve`'s explorer: where it listens (loopback unless remote access is asked for explicitly), which
// methods it offers for on-demand analysis, and the request limits that bound what one client can make it do.

using System.Net;
using Unravel.Atlas.Methods;

namespace Unravel.Web;

/// <summary>Options of the explorer.</summary>
public sealed record ExplorerOptions
{
    /// <summary>Default TCP port.</summary>
    public const int DefaultPort = 5077;

    /// <summary>Address to listen on; loopback (127.0.0.1) by default. Any other address needs <see cref="AllowRemote"/>.</summary>
    public IPAddress Host { get; init; } = IPAddress.Loopback;

    /// <summary>Whether a non-loopback <see cref="Host"/> (another machine may connect) is allowed.</summary>
    public bool AllowRemote { get; init; }

    /// <summary>TCP port; 0 picks a free one.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Open connections at once; Kestrel closes further ones.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Requests processed at once; further ones wait in a queue of <see cref="MaxQueuedRequests"/>.</summary>
    public int MaxConcurrentRequests { get; init; } = 8;

    /// <summary>Requests waiting for a slot; beyond that a request gets 429 Too Many Requests.</summary>
    public int MaxQueuedRequests { get; init; } = 64;

    /// <summary>Largest request body in bytes (the explorer's POSTs carry none); larger gets 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4096;

    /// <summary>Largest request line plus headers in bytes; larger gets 431 (a longer request line alone gets 414).</summary>
    public int MaxRequestHeaderBytes { get; init; } = 16384;

    /// <summary>Methods offered for on-demand analysis (default: every registered one); empty turns it off.</summary>
    public IReadOnlyList<IAtlasMethod> Methods { get; init; } = MethodRegistry.All;

    /// <summary>Why on-demand analysis is unavailable (shown on 501) when <see cref="Methods"/> is empty.</summary>
    public string UnavailableReason { get; init; } = "on-demand analysis is not available in this explorer";

    /// <summary>The first problem with these options, or null when they are valid (the CLI reports it as a usage error).</summary>
    public string? Problem()
    {
        if (Port is < 0 or > 65535) return $"--port must be in 0 … 65535 (got {Port}).";
        if (!IPAddress.IsLoopback(Host) && !AllowRemote)
            return $"--host {Host} is not a loopback address, so other machines could connect; pass --allow-remote as well to mean it.";
        if (MaxConnections is < 1 or > 100_000) return $"--max-connections must be in 1 … 100000 (got {MaxConnections}).";
        if (MaxConcurrentRequests is < 1 or > 10_000) return $"--max-concurrent must be in 1 … 10000 (got {MaxConcurrentRequests}).";
        if (MaxQueuedRequests is < 0 or > 100_000) return $"--max-queue must be in 0 … 100000 (got {MaxQueuedRequests}).";
        if (MaxRequestBodyBytes is < 0 or > 16 << 20) return $"--max-body-bytes must be in 0 … {16 << 20} (got {MaxRequestBodyBytes}).";
        if (MaxRequestHeaderBytes is < 1024 or > 1 << 20) return $"--max-header-bytes must be in 1024 … {1 << 20} (got {MaxRequestHeaderBytes}).";
        return null;
    }
}
