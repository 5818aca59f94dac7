using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// UPnP-IGD client: SSDP M-SEARCH (multicast and unicast to the gateway), the device description over HTTP,
/// and SOAP on the WANIPConnection/WANPPPConnection service (v1 or v2). Every HTTP exchange stays on the
/// host that answered SSDP, is bounded in size and time, and its XML is parsed without DTDs or resolvers.
/// </summary>
internal sealed partial class UpnpClient : IMappingProtocolClient
{
    private const int MaxHttpBody = UpnpXml.MaxDocumentChars;
    private readonly PortMapperOptions _options;
    private readonly IPAddress _gateway;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private IPAddress? _localAddress;
    private Uri? _controlUrl;
    private string? _serviceType;
    private IPAddress? _external;

    public UpnpClient(PortMapperOptions options, IPAddress gateway, ILogger logger)
    {
        _options = options;
        _gateway = gateway;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxResponseHeadersLength = 16,
            ConnectCallback = async (context, ct) =>
            {
                Socket s = options.SocketFactory(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await s.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public PortMappingProtocol Protocol => PortMappingProtocol.UpnpIgd;

    /// <summary>The service type in use (e.g. WANIPConnection:1), once probed.</summary>
    public string? ServiceType => _serviceType;

    public async Task<bool> ProbeAsync(CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_options.ProbeTimeout);
        try
        {
            Uri? location = await SearchAsync(cts.Token).ConfigureAwait(false);
            if (location is null)
            {
                return false;
            }

            string? xml = await GetAsync(location, cts.Token).ConfigureAwait(false);
            if (xml is null || !UpnpDeviceDescription.TryParse(xml, out UpnpDeviceDescription description) || description.Connection is null)
            {
                LogIgnored(_logger, location.ToString(), "no usable WAN*Connection service");
                return false;
            }

            Uri? control = description.Resolve(location, description.Connection.ControlUrl);
            if (control is null || control.Host != location.Host)
            {
                LogIgnored(_logger, location.ToString(), "control URL on another host");
                return false;
            }

            _controlUrl = control;
            _serviceType = description.Connection.ServiceType;
            _external = await GetExternalAddressAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task<(IPEndPoint External, TimeSpan Lifetime)> MapUdpAsync(ushort internalPort, ushort preferredExternalPort, TimeSpan lifetime, CancellationToken ct)
    {
        if (_controlUrl is null && !await ProbeAsync(ct).ConfigureAwait(false))
        {
            throw new NatException(NatError.NotAvailable, "UPnP-IGD: no gateway answered.");
        }

        _external ??= await GetExternalAddressAsync(ct).ConfigureAwait(false);
        IPAddress local = _localAddress ??= LocalAddressTowardsGateway();
        ushort external = preferredExternalPort == 0 ? internalPort : preferredExternalPort;
        uint lease = (uint)lifetime.TotalSeconds;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            (Dictionary<string, string>? _, int error) = await CallAsync(
                "AddPortMapping",
                [
                    new("NewRemoteHost", string.Empty),
                    new("NewExternalPort", external.ToString(CultureInfo.InvariantCulture)),
                    new("NewProtocol", "UDP"),
                    new("NewInternalPort", internalPort.ToString(CultureInfo.InvariantCulture)),
                    new("NewInternalClient", local.ToString()),
                    new("NewEnabled", "1"),
                    new("NewPortMappingDescription", "inroad"),
                    new("NewLeaseDuration", lease.ToString(CultureInfo.InvariantCulture)),
                ],
                ct).ConfigureAwait(false);
            switch (error)
            {
                case 0:
                    if (_external is null)
                    {
                        throw new NatException(NatError.Refused, "UPnP-IGD: the gateway has no external address.");
                    }

                    // A permanent lease (0) is still renewed by us on the usual schedule, so it is re-added if lost.
                    return (new IPEndPoint(_external, external), TimeSpan.FromSeconds(lease == 0 ? 3600 : lease));
                case 725: // OnlyPermanentLeasesSupported (IGD v1 routers)
                    lease = 0;
                    break;
                case 718 or 727: // ConflictInMappingEntry / ExternalPortOnlySupportsWildcard: try another port
                    external = (ushort)Random.Shared.Next(20000, 60000);
                    break;
                default:
                    throw new NatException(NatError.Refused, $"UPnP-IGD: AddPortMapping failed (UPnP error {error}).");
            }
        }

        throw new NatException(NatError.Refused, "UPnP-IGD: AddPortMapping kept failing.");
    }

    /// <summary>UPnP has no announcement of its own, but a PCP ANNOUNCE from the same gateway means it restarted and lost every table.</summary>
    public bool HandleAnnouncement(GatewayAnnouncement announcement) => announcement.Protocol == PortMappingProtocol.Pcp;

    public async Task DeleteUdpAsync(ushort internalPort, ushort externalPort, CancellationToken ct)
    {
        if (_controlUrl is null)
        {
            return;
        }

        await CallAsync(
            "DeletePortMapping",
            [new("NewRemoteHost", string.Empty), new("NewExternalPort", externalPort.ToString(CultureInfo.InvariantCulture)), new("NewProtocol", "UDP")],
            ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<IPAddress?> GetExternalAddressAsync(CancellationToken ct)
    {
        (Dictionary<string, string>? args, int error) = await CallAsync("GetExternalIPAddress", [], ct).ConfigureAwait(false);
        return error == 0 && args is not null && args.TryGetValue("NewExternalIPAddress", out string? text)
            && IPAddress.TryParse(text.Trim(), out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetwork
            ? address
            : null;
    }

    private async Task<(Dictionary<string, string>? Arguments, int Error)> CallAsync(string action, KeyValuePair<string, string>[] arguments, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_options.ProbeTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, _controlUrl)
        {
            Content = new StringContent(UpnpSoap.BuildEnvelope(_serviceType!, action, arguments), Encoding.UTF8, "text/xml"),
        };
        request.Headers.TryAddWithoutValidation("SOAPAction", UpnpSoap.SoapAction(_serviceType!, action));
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            string? body = await ReadBoundedAsync(response, cts.Token).ConfigureAwait(false);
            if (body is null || !UpnpSoap.TryReadResponse(body, out Dictionary<string, string> args, out int error))
            {
                LogIgnored(_logger, _controlUrl!.ToString(), action + ": unreadable answer");
                return (null, -1);
            }

            return (args, response.IsSuccessStatusCode ? 0 : (error == 0 ? -1 : error));
        }
        catch (HttpRequestException ex)
        {
            throw new NatException(NatError.Network, $"UPnP-IGD: {action} failed: {ex.Message}", ex);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new NatException(NatError.Timeout, $"UPnP-IGD: {action} timed out.");
        }
    }

    private async Task<string?> GetAsync(Uri url, CancellationToken ct)
    {
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await ReadBoundedAsync(response, ct).ConfigureAwait(false) : null;
        }
        catch (HttpRequestException ex)
        {
            LogIgnored(_logger, url.ToString(), ex.Message);
            return null;
        }
    }

    private static async Task<string?> ReadBoundedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > MaxHttpBody)
        {
            return null;
        }

        Stream stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            byte[] buffer = new byte[MaxHttpBody + 1];
            int total = 0;
            while (total < buffer.Length)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total > MaxHttpBody ? null : Encoding.UTF8.GetString(buffer, 0, total);
        }
    }

    private async Task<Uri?> SearchAsync(CancellationToken ct)
    {
        using Socket socket = _options.SocketFactory(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 2);
        byte[] search = Ssdp.BuildSearch(Ssdp.IgdSearchTarget);
        byte[] buffer = new byte[2048];
        var from = new IPEndPoint(IPAddress.Any, 0);
        TimeSpan wait = TimeSpan.FromMilliseconds(250);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await socket.SendToAsync(search, new IPEndPoint(_gateway, Ssdp.Port), ct).ConfigureAwait(false);
                await socket.SendToAsync(search, new IPEndPoint(Ssdp.MulticastAddress, Ssdp.Port), ct).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                LogIgnored(_logger, "ssdp", "send failed: " + ex.SocketErrorCode);
            }

            using var round = CancellationTokenSource.CreateLinkedTokenSource(ct);
            round.CancelAfter(wait);
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, from, round.Token).ConfigureAwait(false);
                    var sender = (IPEndPoint)r.RemoteEndPoint;
                    if (!sender.Address.Equals(_gateway))
                    {
                        LogIgnored(_logger, sender.ToString(), "SSDP answer not from the gateway");
                        continue;
                    }

                    if (Ssdp.TryReadResponse(buffer.AsSpan(0, r.ReceivedBytes), sender.Address, out Uri? location, out _))
                    {
                        return location;
                    }

                    LogIgnored(_logger, sender.ToString(), "malformed SSDP answer");
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            catch (SocketException ex)
            {
                LogIgnored(_logger, "ssdp", "receive failed: " + ex.SocketErrorCode);
            }

            wait *= 2;
        }

        return null;
    }

    private IPAddress LocalAddressTowardsGateway()
    {
        using Socket s = _options.SocketFactory(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Connect(new IPEndPoint(_gateway, Ssdp.Port)); // no packet is sent; the kernel picks the source address
        return ((IPEndPoint)s.LocalEndPoint!).Address;
    }

    [LoggerMessage(EventId = 711, Level = LogLevel.Debug, Message = "UPnP-IGD: ignored {Source}: {Why}")]
    private static partial void LogIgnored(ILogger logger, string source, string why);
}
