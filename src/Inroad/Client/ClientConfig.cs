using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Inroad.Broker.Compartments;
using Inroad.Brokers;
using Inroad.Protocol;

namespace Inroad.Client;

/// <summary>
/// <c>client.json</c>: the brokers, the tunnel server's signed entry, the compartment to be matched in (common
/// IDs, or a personal pairing string from a proxy operator), and the local proxy ports.
/// </summary>
internal sealed class ClientConfig
{
    public List<BrokerSpecConfig> Brokers { get; set; } = [];

    /// <summary>The tunnel server's signed entry (base64), as the network publishes it.</summary>
    public string ServerEntry { get; set; } = "";

    /// <summary>The in-proxy listener to reach, address:port; defaults to the entry's first in-proxy TCP capability.</summary>
    public string? Destination { get; set; }

    /// <summary>Common compartment IDs (hex) the network handed out.</summary>
    public List<string> CommonCompartmentIds { get; set; } = [];

    /// <summary>A personal pairing string (<c>inroad-pair:…</c>); when set, only that operator's proxies serve us.</summary>
    public string? Pairing { get; set; }

    public string SocksListen { get; set; } = "127.0.0.1:1080";

    public string HttpListen { get; set; } = "127.0.0.1:8080";

    /// <summary>Offer loopback ICE candidates (every role on one machine, for tests). Defaults to false.</summary>
    public bool IncludeLoopback { get; set; }

    /// <summary>Dial starts allowed per <see cref="DialRateLimitIntervalMilliseconds"/>; 0 is unlimited. Defaults to 2 (design §8.5).</summary>
    public int DialRateLimitQuantity { get; set; } = Dial.DialRateLimit.Default.Quantity;

    /// <summary>The dial rate limit's period. Defaults to 500 ms.</summary>
    public int DialRateLimitIntervalMilliseconds { get; set; } = (int)Dial.DialRateLimit.Default.Interval.TotalMilliseconds;

    /// <summary>The dial rate limit this file asks for; throws <see cref="FormatException"/> naming the field.</summary>
    public Dial.DialRateLimit DialRateLimit()
    {
        var limit = new Dial.DialRateLimit { Quantity = DialRateLimitQuantity, Interval = TimeSpan.FromMilliseconds(DialRateLimitIntervalMilliseconds) };
        try
        {
            limit.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"dialRateLimit{e.ParamName}: {e.Message}", e);
        }

        return limit;
    }

    /// <summary>Port mapping of each dial's WebRTC port at the gateway. Absent: on, default gateway.</summary>
    public Network.PortMappingConfig? PortMapping { get; set; }

    /// <summary>Background NAT type discovery for the offers. Absent: on, with the embedded STUN servers.</summary>
    public Network.NatDiscoveryConfig? NatDiscovery { get; set; }

    /// <summary>The host NAT state this file asks for (port mapping, discovery; either may be off). The caller owns it.</summary>
    public Network.HostNat CreateHostNat(Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null)
    {
        try
        {
            Network.HostNatConfig.Validate(PortMapping, NatDiscovery);
        }
        catch (InvalidDataException e)
        {
            throw new FormatException(e.Message, e);
        }

        return new Network.HostNat(Network.HostNatConfig.ToOptions(PortMapping, NatDiscovery, Config.EmbeddedConfig.Default.NatDiscoveryStunServers, loggerFactory));
    }

    public static ClientConfig Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, ClientConfigJson.Default.ClientConfig)
            ?? throw new InvalidDataException("empty client configuration");
    }

    public IReadOnlyList<BrokerSpec> BrokerSpecs() => BrokerSpecConfig.ToSpecs(Brokers, "brokers");

    public byte[] SignedServerEntry()
    {
        try
        {
            return Convert.FromBase64String(ServerEntry);
        }
        catch (FormatException)
        {
            throw new FormatException("serverEntry is not base64");
        }
    }

    public Id32? PersonalCompartment() =>
        Pairing is null ? null
        : PairingString.TryDecode(Pairing, out Id32 id) ? id
        : throw new FormatException("pairing is not a valid inroad pairing string");

    public IReadOnlyList<Id32> CommonCompartments() => CommonCompartmentIds.Select(h => Id32.From(Convert.FromHexString(h))).ToArray();

    /// <summary>The entry's first in-proxy TCP listener as address:port.</summary>
    public static string DefaultDestination(byte[] signedEntry)
    {
        if (Broker.Destinations.SignedServerEntry.TryReadUnverified(signedEntry, out Broker.Destinations.ServerEntry? entry)
            && entry!.Capabilities.FirstOrDefault(c => c.NetworkProtocol == 0 && c.Protocol.StartsWith("INPROXY-", StringComparison.Ordinal)) is { } capability
            && IPAddress.TryParse(entry.IpAddress, out IPAddress? address))
        {
            return new IPEndPoint(address, capability.Port).ToString();
        }

        throw new FormatException("the server entry has no in-proxy TCP listener; set destination");
    }

    public static IPEndPoint ParseListen(string value, string name) =>
        IPEndPoint.TryParse(value, out IPEndPoint? e) ? e : throw new FormatException($"{name} '{value}' is not address:port");
}

/// <summary>Source-generated JSON for <see cref="ClientConfig"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ClientConfig))]
internal sealed partial class ClientConfigJson : JsonSerializerContext;
