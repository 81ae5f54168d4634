// The names a request's Host header may carry (DNS-rebinding defence): a page of evil.example whose name the attacker
// re-points at 127.0.0.1 reaches the explorer with `Host: evil.example`, so any name but the bound address's own is
// refused. Loopback names are always allowed; an explicit --host adds itself, and a wildcard (0.0.0.0, ::) adds the
// machine's host name and interface addresses. Ports are not compared, so an ssh tunnel on another port still works.

using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Unravel.Web;

/// <summary>Host names (without port; IPv6 in brackets) the explorer answers to.</summary>
internal sealed class HostAllowList
{
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "[::1]" };

    /// <summary>The names for a server bound to <paramref name="host"/>.</summary>
    public HostAllowList(IPAddress host)
    {
        _names.Add(NameOf(host));
        if (host.Equals(IPAddress.Any) || host.Equals(IPAddress.IPv6Any))
        {
            try
            {
                _names.Add(Dns.GetHostName());
                foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
                    foreach (UnicastIPAddressInformation a in nic.GetIPProperties().UnicastAddresses)
                        if (a.Address.AddressFamily is AddressFamily.InterNetwork || (a.Address.AddressFamily is AddressFamily.InterNetworkV6 && a.Address.ScopeId == 0))
                            _names.Add(NameOf(a.Address));
            }
            catch (NetworkInformationException)
            {
                // Without the interface list only the loopback names and the host name are accepted.
            }
        }
        _names.Remove("0.0.0.0");
        _names.Remove("[::]");
    }

    /// <summary>The accepted names, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _names.Order(StringComparer.Ordinal)];

    /// <summary>Whether <paramref name="host"/> (the Host header's name, port removed) is one of ours.</summary>
    public bool Allows(string host) => _names.Contains(host);

    private static string NameOf(IPAddress a) => a.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString();
}
