using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Inroad.Nat;
using Inroad.Nat.Discovery;
using Inroad.Nat.PortMapping;
using Spectre.Console;

namespace Inroad.Cli.Commands;

/// <summary>
/// <c>inroad netcheck</c>: RFC 5780 NAT discovery against a STUN server and a port-mapping probe of the default
/// gateway, run concurrently under one bound, printed as a table or as one JSON object (<c>--json</c>).
/// </summary>
internal static class NetcheckCommand
{
    /// <summary>
    /// Used when <c>--stun</c> is not given: the embedded configuration's first RFC 5780 server. (A plain STUN
    /// server answers, but discovery then says "not supported".)
    /// </summary>
    public static string DefaultStunServer => Config.EmbeddedConfig.Default.NatDiscoveryStunServers.FirstOrDefault() ?? "stun.l.google.com:19302";

    /// <summary>Exit code when the STUN server never answered (no public address known).</summary>
    public const int NoStunAnswer = 2;

    public static Command Create()
    {
        var command = new Command("netcheck", "Report local and public addresses, NAT mapping/filtering, port-mapping protocols and STUN round-trip times.");
        var stun = new Option<string>("--stun") { Description = $"STUN server host:port (RFC 5780 capable). Defaults to {DefaultStunServer}." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var gateway = new Option<string>("--gateway") { Description = "Gateway to probe for UPnP-IGD, NAT-PMP and PCP. Defaults to the IPv4 default route's." };
        var noPortMapping = new Option<bool>("--no-port-mapping") { Description = "Skip the port-mapping probe." };
        command.Options.Add(stun);
        command.Options.Add(json);
        command.Options.Add(gateway);
        command.Options.Add(noPortMapping);
        command.SetAction(async (parse, ct) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            IPEndPoint? server = await ResolveAsync(parse.GetValue(stun) ?? DefaultStunServer, ct).ConfigureAwait(false);
            if (server is null)
            {
                await error.WriteLineAsync("inroad netcheck: cannot resolve the STUN server (use --stun host:port).").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            IPAddress? gw = null;
            string? gatewayText = parse.GetValue(gateway);
            if (gatewayText is not null && (!IPAddress.TryParse(gatewayText, out gw) || gw.AddressFamily != AddressFamily.InterNetwork))
            {
                await error.WriteLineAsync("inroad netcheck: --gateway must be an IPv4 address.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            NetcheckReport report = await RunAsync(server, gw, !parse.GetValue(noPortMapping), null, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(ToJson(report)).ConfigureAwait(false);
            }
            else
            {
                WriteTable(report, output);
            }

            return report.Discovery.MappedEndPoint is null ? NoStunAnswer : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Runs discovery and the port-mapping probe concurrently; never throws on network trouble.</summary>
    public static async Task<NetcheckReport> RunAsync(IPEndPoint server, IPAddress? gateway, bool portMapping, SocketFactory? sockets, CancellationToken ct)
    {
        SocketFactory factory = sockets ?? ((f, t, p) => new Socket(f, t, p));
        var sw = Stopwatch.StartNew();
        Task<NatDiscoveryResult> discovery = NatDiscovery.DiscoverAsync(new NatDiscoveryOptions { Server = server, SocketFactory = factory }, ct);
        PortMappingProbeResult? probe = null;
        IPEndPoint? external = null;
        PortMappingProtocol with = PortMappingProtocol.None;
        string? mapError = null;
        if (portMapping)
        {
            var mapper = new PortMapper(new PortMapperOptions { Gateway = gateway, SocketFactory = factory });
            probe = await mapper.ProbeAsync(ct).ConfigureAwait(false);
            foreach (PortMappingProtocol protocol in probe.Available)
            {
                using Socket socket = factory(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(IPAddress.Any, 0));
                try
                {
                    PortMappingLease lease = await mapper.MapUdpAsync(((IPEndPoint)socket.LocalEndPoint!).Port, protocol, ct).ConfigureAwait(false);
                    await using (lease.ConfigureAwait(false))
                    {
                        external = lease.ExternalEndPoint;
                        with = protocol;
                    }

                    break;
                }
                catch (NatException ex)
                {
                    mapError = $"{protocol}: {ex.Message}";
                }
            }
        }

        NatDiscoveryResult result = await discovery.ConfigureAwait(false);
        return new NetcheckReport
        {
            StunServer = server,
            Discovery = result,
            PortMapping = probe,
            MappedWith = with,
            MappedExternal = external,
            PortMappingError = external is null ? mapError : null,
            Elapsed = sw.Elapsed,
        };
    }

    public static void WriteTable(NetcheckReport r, TextWriter writer)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
        });
        NatDiscoveryResult d = r.Discovery;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("what").AddColumn("found");
        table.AddRow("STUN server", Markup.Escape(r.StunServer.ToString()));
        table.AddRow("local address", Markup.Escape(d.LocalEndPoint?.ToString() ?? "?"));
        table.AddRow("public address", Markup.Escape(d.MappedEndPoint?.ToString() ?? "none (no STUN answer)"));
        table.AddRow("RFC 5780", d.Supported ? $"yes (other address {Markup.Escape(d.OtherAddress?.ToString() ?? "?")})" : "[yellow]not supported by this server[/]");
        table.AddRow("NAT mapping", d.Type.Mapping.ToString());
        table.AddRow("NAT filtering", d.Type.Filtering.ToString());
        table.AddRow("NAT type (packed)", d.Type.Packed.ToString(CultureInfo.InvariantCulture));
        table.AddRow("traversal", $"{d.Type.Traversal}" + (r.MappedExternal is null ? string.Empty : $" → {r.EffectiveTraversal} with port mapping"));
        string protocols = r.PortMapping is null ? "not probed"
            : r.PortMapping.Gateway is null ? "no default gateway"
            : r.PortMapping.Any ? string.Join(", ", r.PortMapping.Available) + $" (gateway {r.PortMapping.Gateway})"
            : $"none answered (gateway {r.PortMapping.Gateway})";
        table.AddRow("port mapping", Markup.Escape(protocols));
        table.AddRow("mapped address", Markup.Escape(r.MappedExternal is null ? r.PortMappingError ?? "-" : $"{r.MappedExternal} via {r.MappedWith}"));
        table.AddRow("STUN round trips", Markup.Escape(d.RoundTripTimes.Count == 0 ? "-" : string.Join(" ", d.RoundTripTimes.Select(t => t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms"))));
        if (d.Error is not null)
        {
            table.AddRow("note", Markup.Escape(d.Error));
        }

        table.AddRow("took", r.Elapsed.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture));
        console.Write(table);
    }

    public static string ToJson(NetcheckReport r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            NatDiscoveryResult d = r.Discovery;
            w.WriteStartObject();
            w.WriteString("stunServer", r.StunServer.ToString());
            w.WriteString("localAddress", d.LocalEndPoint?.ToString());
            w.WriteString("publicAddress", d.MappedEndPoint?.ToString());
            w.WriteBoolean("rfc5780", d.Supported);
            w.WriteString("otherAddress", d.OtherAddress?.ToString());
            w.WriteString("mapping", d.Type.Mapping.ToString());
            w.WriteString("filtering", d.Type.Filtering.ToString());
            w.WriteNumber("natType", d.Type.Packed);
            w.WriteString("traversal", d.Type.Traversal.ToString());
            w.WriteString("effectiveTraversal", r.EffectiveTraversal.ToString());
            w.WriteString("gateway", r.PortMapping?.Gateway?.ToString());
            w.WriteStartArray("portMappingProtocols");
            foreach (PortMappingProtocol p in r.PortMapping?.Available ?? [])
            {
                w.WriteStringValue(p.ToString());
            }

            w.WriteEndArray();
            w.WriteString("mappedAddress", r.MappedExternal?.ToString());
            w.WriteString("mappedWith", r.MappedExternal is null ? null : r.MappedWith.ToString());
            w.WriteString("portMappingError", r.PortMappingError);
            w.WriteStartArray("stunRttMs");
            foreach (TimeSpan t in d.RoundTripTimes)
            {
                w.WriteNumberValue(Math.Round(t.TotalMilliseconds, 2));
            }

            w.WriteEndArray();
            w.WriteString("error", d.Error);
            w.WriteNumber("elapsedMs", Math.Round(r.Elapsed.TotalMilliseconds));
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static async Task<IPEndPoint?> ResolveAsync(string text, CancellationToken ct)
    {
        if (IPEndPoint.TryParse(text, out IPEndPoint? direct) && direct.Port != 0)
        {
            return direct;
        }

        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : text;
        int port = 3478;
        if (colon > 0 && !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            return null;
        }

        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return new IPEndPoint(literal, port);
        }

        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, AddressFamily.InterNetwork, ct).ConfigureAwait(false);
            return addresses.Length == 0 ? null : new IPEndPoint(addresses[0], port);
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
