using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Matching;
using Inroad.Broker.Quality;
using Inroad.Broker.Reports;
using Inroad.Broker.Sdp;
using Inroad.Geo;

namespace Inroad.Broker.Service;

/// <summary>What the broker service needs; timeouts default to the design's (§2.4, §9).</summary>
internal sealed class BrokerServiceOptions
{
    /// <summary>The matcher options.</summary>
    public MatcherOptions Matcher { get; set; } = new();

    /// <summary>Common compartment IDs and sponsor overrides.</summary>
    public CommonCompartments? CommonCompartments { get; set; }

    /// <summary>The destination check (network signing key, tag validity).</summary>
    public DestinationCheck? Destinations { get; set; }

    /// <summary>GeoIP.</summary>
    public IGeoLookup? Geo { get; set; }

    /// <summary>Lab setting: keep private and loopback ICE candidates in common mode. Defaults to false.</summary>
    public bool AllowBogonCandidates { get; set; }

    /// <summary>How long an announcement waits. Defaults to 2 minutes (proxies wait 2 m 10 s).</summary>
    public TimeSpan ProxyAnnounceTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a common offer waits for a match and an answer. Defaults to 10 s (clients wait 20 s).</summary>
    public TimeSpan ClientOfferTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The same for personal offers. Defaults to 5 s (clients wait 15 s).</summary>
    public TimeSpan ClientOfferPersonalTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The relay of BrokerServerReports to tunnel servers (its key should be the broker's session key).</summary>
    public ServerReportRelayOptions Reports { get; set; } = new();

    /// <summary>Proxy quality reports and priority (off by default).</summary>
    public ProxyQualityOptions Quality { get; set; } = new();

    /// <summary>Clock for deadlines.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Matcher, nameof(Matcher));
        Matcher.Validate();
        ArgumentNullException.ThrowIfNull(CommonCompartments, nameof(CommonCompartments));
        ArgumentNullException.ThrowIfNull(Destinations, nameof(Destinations));
        ArgumentNullException.ThrowIfNull(Geo, nameof(Geo));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Reports, nameof(Reports));
        Reports.Validate();
        ArgumentNullException.ThrowIfNull(Quality, nameof(Quality));
        Quality.Validate();
        foreach ((TimeSpan value, string name) in new[]
        {
            (ProxyAnnounceTimeout, nameof(ProxyAnnounceTimeout)),
            (ClientOfferTimeout, nameof(ClientOfferTimeout)),
            (ClientOfferPersonalTimeout, nameof(ClientOfferPersonalTimeout)),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
            }
        }
    }

    internal CandidateFilter CreateFilter() => new(Geo!, AllowBogonCandidates);
}
