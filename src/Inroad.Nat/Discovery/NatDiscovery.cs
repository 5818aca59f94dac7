using System.Net;
using System.Net.Sockets;
using Inroad.WebRtc.Stun;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Nat.Discovery;

/// <summary>
/// RFC 5780 NAT behaviour discovery (§4.3 mapping, §4.4 filtering) over our STUN client. The filtering test
/// runs first and each test has its own socket, so the mapping test's packets cannot open the filter the
/// filtering test looks at. Every round trip has its own timeout; the whole run has an overall one.
/// </summary>
public static partial class NatDiscovery
{
    /// <summary>Runs discovery. Network trouble never throws: it yields unknown halves and <see cref="NatDiscoveryResult.Error"/>.</summary>
    public static async Task<NatDiscoveryResult> DiscoverAsync(NatDiscoveryOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ILogger logger = options.LoggerFactory?.CreateLogger("Inroad.Nat.Discovery") ?? NullLogger.Instance;
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        overall.CancelAfter(options.OverallTimeout);
        var rtts = new List<TimeSpan>();
        IPEndPoint server = options.Server!;

        TestSocket filtering = Open(options, logger);
        TestSocket mapping = Open(options, logger);
        try
        {
            // §4.4 filtering, socket 1. Test I also tells whether the server supports RFC 5780 at all.
            StunResponse? f1 = await BindAsync(filtering, server, false, false, options, rtts, overall.Token).ConfigureAwait(false);
            if (f1?.MappedAddress is null)
            {
                return new NatDiscoveryResult { Error = "no answer from the STUN server", RoundTripTimes = rtts };
            }

            IPEndPoint? other = f1.OtherAddress;
            if (other is null || !UsableOtherAddress(other, server))
            {
                return new NatDiscoveryResult { Supported = false, MappedEndPoint = f1.MappedAddress, Error = "server has no usable OTHER-ADDRESS (not RFC 5780)", RoundTripTimes = rtts };
            }

            NatFiltering filter;
            if (await BindAsync(filtering, server, true, true, options, rtts, overall.Token).ConfigureAwait(false) is not null)
            {
                filter = NatFiltering.EndpointIndependent;
            }
            else if (await BindAsync(filtering, server, false, true, options, rtts, overall.Token).ConfigureAwait(false) is not null)
            {
                filter = NatFiltering.AddressDependent;
            }
            else
            {
                filter = NatFiltering.AddressPortDependent;
            }

            // §4.3 mapping, socket 2.
            IPEndPoint local = mapping.Local;
            StunResponse? m1 = await BindAsync(mapping, server, false, false, options, rtts, overall.Token).ConfigureAwait(false);
            NatMapping map = NatMapping.Unknown;
            if (m1?.MappedAddress is { } mapped1)
            {
                if (IsLocal(mapped1, local))
                {
                    map = NatMapping.EndpointIndependent; // no NAT
                }
                else
                {
                    StunResponse? m2 = await BindAsync(mapping, new IPEndPoint(other.Address, server.Port), false, false, options, rtts, overall.Token).ConfigureAwait(false);
                    if (m2?.MappedAddress is { } mapped2)
                    {
                        if (mapped2.Equals(mapped1))
                        {
                            map = NatMapping.EndpointIndependent;
                        }
                        else
                        {
                            StunResponse? m3 = await BindAsync(mapping, other, false, false, options, rtts, overall.Token).ConfigureAwait(false);
                            if (m3?.MappedAddress is { } mapped3)
                            {
                                map = mapped3.Equals(mapped2) ? NatMapping.AddressDependent : NatMapping.AddressPortDependent;
                            }
                        }
                    }
                }
            }

            var result = new NatDiscoveryResult
            {
                Type = new NatType(map, filter),
                Supported = true,
                LocalEndPoint = local.Address.Equals(IPAddress.Any) ? new IPEndPoint(SourceAddressTowards(server, options), local.Port) : local,
                MappedEndPoint = m1?.MappedAddress ?? f1.MappedAddress,
                OtherAddress = other,
                RoundTripTimes = rtts,
                Error = map == NatMapping.Unknown ? "mapping test got no answer" : null,
            };
            LogResult(logger, result.Type.ToString(), rtts.Count);
            return result;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new NatDiscoveryResult { Error = "overall timeout", RoundTripTimes = rtts };
        }
        catch (Exception ex) when (ex is StunException or SocketException)
        {
            return new NatDiscoveryResult { Error = ex.Message, RoundTripTimes = rtts };
        }
        finally
        {
            await filtering.DisposeAsync().ConfigureAwait(false);
            await mapping.DisposeAsync().ConfigureAwait(false);
        }
    }

    // A bogus OTHER-ADDRESS would steer our tests at a third party or at ourselves.
    private static bool UsableOtherAddress(IPEndPoint other, IPEndPoint server) =>
        other.AddressFamily == server.AddressFamily && !other.Address.Equals(server.Address)
        && !IPAddress.IsLoopback(other.Address) && !other.Address.Equals(IPAddress.Any) && !other.Address.Equals(IPAddress.Broadcast)
        && !(other.AddressFamily == AddressFamily.InterNetwork && other.Address.GetAddressBytes()[0] is >= 224 or 0)
        && other.Port != 0;

    // The address the kernel would send from (a connected UDP socket sends nothing).
    private static IPAddress SourceAddressTowards(IPEndPoint server, NatDiscoveryOptions options)
    {
        try
        {
            using Socket s = options.SocketFactory(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Connect(server);
            return ((IPEndPoint)s.LocalEndPoint!).Address;
        }
        catch (SocketException)
        {
            return IPAddress.Any;
        }
    }

    private static bool IsLocal(IPEndPoint mapped, IPEndPoint local) =>
        mapped.Port == local.Port && (mapped.Address.Equals(local.Address) || local.Address.Equals(IPAddress.Any) && IsOwnAddress(mapped.Address));

    private static bool IsOwnAddress(IPAddress address)
    {
        try
        {
            return System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses).Any(u => u.Address.Equals(address));
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            return false;
        }
    }

    private static async Task<StunResponse?> BindAsync(TestSocket s, IPEndPoint to, bool changeIp, bool changePort, NatDiscoveryOptions options, List<TimeSpan> rtts, CancellationToken ct)
    {
        using var round = CancellationTokenSource.CreateLinkedTokenSource(ct);
        round.CancelAfter(options.RoundTripTimeout);
        try
        {
            StunResponse r = changeIp || changePort
                ? await s.Client.BindAsync(to, changeIp, changePort, round.Token).ConfigureAwait(false)
                : await s.Client.BindAsync(to, round.Token).ConfigureAwait(false);
            if (!r.IsSuccess)
            {
                LogNoAnswer(s.Logger, to, $"error response {r.ErrorCode}");
                return null;
            }

            rtts.Add(r.RoundTripTime);
            return r;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogNoAnswer(s.Logger, to, "timeout");
            return null;
        }
        catch (StunException ex) when (ex.Error == StunError.Timeout)
        {
            LogNoAnswer(s.Logger, to, "timeout");
            return null;
        }
    }

    private static TestSocket Open(NatDiscoveryOptions options, ILogger logger)
    {
        Socket socket = options.SocketFactory(options.Server!.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(options.Server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : options.LocalAddress, 0));
            // Retransmit within the round-trip budget: 250 ms, 500 ms, 1 s… (RFC 8489 §6.2.1 with a smaller RTO).
            var stunOptions = new StunClientOptions { InitialRto = TimeSpan.FromMilliseconds(250), MaxSends = 4, TimeProvider = options.TimeProvider };
            return new TestSocket(socket, StunClient.ForSocket(socket, stunOptions, logger), logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [LoggerMessage(EventId = 741, Level = LogLevel.Debug, Message = "NAT discovery: no answer from {Server}: {Why}")]
    private static partial void LogNoAnswer(ILogger logger, IPEndPoint server, string why);

    [LoggerMessage(EventId = 742, Level = LogLevel.Information, Message = "NAT discovery: {Type} after {RoundTrips} answered round trips")]
    private static partial void LogResult(ILogger logger, string type, int roundTrips);

    private sealed class TestSocket(Socket socket, StunClient client, ILogger logger) : IAsyncDisposable
    {
        public StunClient Client { get; } = client;

        public ILogger Logger { get; } = logger;

        public IPEndPoint Local => (IPEndPoint)socket.LocalEndPoint!;

        public async ValueTask DisposeAsync()
        {
            socket.Dispose();
            await Client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
