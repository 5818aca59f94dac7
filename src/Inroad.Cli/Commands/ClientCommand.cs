using System.CommandLine;
using Inroad.Brokers;
using Inroad.Client;
using Inroad.Client.Dial;
using Inroad.Client.LocalProxy;
using Inroad.Client.Tunnel;
using Inroad.Protocol;
using Microsoft.Extensions.Logging;

namespace Inroad.Cli.Commands;

/// <summary>
/// <c>inroad client --config client.json</c>: keeps a tunnel up through volunteer proxies and serves local SOCKS5 and
/// HTTP proxy ports, printing a line whenever the tunnel's state changes.
/// </summary>
internal static class ClientCommand
{
    public static Command Configure(Command command, Option<FileInfo> config)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            ClientConfig settings;
            IReadOnlyList<BrokerSpec> brokerSpecs;
            byte[] entry;
            ServerIdentity server;
            InproxyDestination destination;
            Id32? personal;
            IReadOnlyList<Id32> common;
            LocalProxyOptions local;
            DialRateLimit dialRateLimit;
            try
            {
                settings = ClientConfig.Load(parseResult.GetValue(config)!.FullName);
                brokerSpecs = settings.BrokerSpecs();
                entry = settings.SignedServerEntry();
                server = ServerIdentity.FromSignedEntry(entry);
                destination = new InproxyDestination(entry, settings.Destination ?? ClientConfig.DefaultDestination(entry));
                personal = settings.PersonalCompartment();
                if (personal is Id32 compartment)
                {
                    brokerSpecs = PersonalBrokers.Order(brokerSpecs, compartment); // the rendezvous order its proxy uses too
                }

                common = settings.CommonCompartments();
                if (personal is null && common.Count == 0)
                {
                    throw new FormatException("give commonCompartmentIds or a personal pairing string");
                }

                Inroad.Network.HostNatConfig.Validate(settings.PortMapping, settings.NatDiscovery);
                dialRateLimit = settings.DialRateLimit();
                local = new LocalProxyOptions
                {
                    SocksEndPoint = ClientConfig.ParseListen(settings.SocksListen, "socksListen"),
                    HttpEndPoint = ClientConfig.ParseListen(settings.HttpListen, "httpListen"),
                };
            }
            catch (Exception e) when (e is IOException or FormatException or System.Text.Json.JsonException or InvalidDataException or UnauthorizedAccessException)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"inroad client: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            using ILoggerFactory logging = CliLogging.Create();
            using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = brokerSpecs, LoggerFactory = logging });
            Inroad.Network.HostNat nat = settings.CreateHostNat(logging);
            await using System.Runtime.CompilerServices.ConfiguredAsyncDisposable natLifetime = nat.ConfigureAwait(false);
            nat.Start(); // background discovery; the first dial does not wait for it
            var dialer = new InproxyDialer(new InproxyDialerOptions
            {
                Brokers = brokers,
                Nat = nat,
                DialRateLimit = dialRateLimit,
                WebRtc = new Inroad.WebRtc.PeerConnection.RtcPeerOptions { IncludeLoopback = settings.IncludeLoopback },
                CommonCompartmentIds = common,
                PersonalCompartmentId = personal,
                LoggerFactory = logging,
            });
            TunnelKeeper keeper = TunnelKeeper.Start(new TunnelKeeperOptions
            {
                Dial = async ct => await dialer.DialAsync(destination, ct).ConfigureAwait(false),
                Server = server,
                LoggerFactory = logging,
            });
            await using (keeper.ConfigureAwait(false))
            {
                keeper.StatusChanged += s => output.WriteLine(
                    $"tunnel {s.State.ToString().ToLowerInvariant()}" + (s.TunnelsEstablished > 0 ? $" (tunnels so far: {s.TunnelsEstablished})" : "") + (s.LastError is { } e ? $": {e}" : ""));
                LocalProxyServer proxy;
                try
                {
                    proxy = LocalProxyServer.Start(local, keeper.OpenStreamAsync, logging.CreateLogger("Inroad.Client.LocalProxy"));
                }
                catch (System.Net.Sockets.SocketException e)
                {
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync($"inroad client: cannot listen ({e.SocketErrorCode}): check socksListen/httpListen").ConfigureAwait(false);
                    return ExitCodes.Usage;
                }

                await using (proxy.ConfigureAwait(false))
                {
                    await output.WriteLineAsync($"SOCKS5 {proxy.SocksEndPoint}").ConfigureAwait(false);
                    await output.WriteLineAsync($"HTTP   {proxy.HttpEndPoint}").ConfigureAwait(false);
                    await CliLogging.WaitForStopAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
