using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Inroad.WebRtc.Ice;

namespace Inroad.WebRtc.Sdp;

/// <summary>
/// A data-channel-only session description: one <c>m=application … UDP/DTLS/SCTP webrtc-datachannel</c> section,
/// ICE credentials and candidates, the DTLS fingerprint and setup role, mid, sctp-port and max-message-size.
/// <see cref="ToString"/> writes it in Chromium's shape (browsers.md); <see cref="SdpParser"/> reads it back
/// and also reads Firefox's.
/// </summary>
internal sealed record SessionDescription
{
    public const string ChromiumMaxMessageSize = "262144";

    public SdpType Type { get; init; }

    /// <summary>The o= session id: Chromium writes a random positive 63-bit number in decimal.</summary>
    public string SessionId { get; init; } = NewSessionId();

    /// <summary>The o= version; Chromium's first description is version 2.</summary>
    public long SessionVersion { get; init; } = 2;

    public required IceCredentials IceCredentials { get; init; }

    /// <summary>Hash function of the certificate fingerprint, lower case ("sha-256").</summary>
    public string FingerprintAlgorithm { get; init; } = "sha-256";

    public required byte[] Fingerprint { get; init; }

    public DtlsSetupRole Setup { get; init; } = DtlsSetupRole.ActPass;

    public string Mid { get; init; } = "0";

    public int SctpPort { get; init; } = 5000;

    /// <summary>a=max-message-size; Chromium 262144, Firefox 1073741823. Null when absent (RFC 8841: then 64 KiB).</summary>
    public long? MaxMessageSize { get; init; } = 262144;

    public IReadOnlyList<IceCandidate> Candidates { get; init; } = [];

    /// <summary>Write a=end-of-candidates (RFC 8840). Chromium's final description has none; Firefox's has one.</summary>
    public bool EndOfCandidates { get; init; }

    /// <summary>a=ice-options values, e.g. "trickle" (Chromium and Firefox both write it).</summary>
    public IReadOnlyList<string> IceOptions { get; init; } = ["trickle"];

    /// <summary>The peer is ICE-lite (a=ice-lite); we never are.</summary>
    public bool IceLite { get; init; }

    /// <summary>A fresh Chromium-shaped offer (actpass).</summary>
    public static SessionDescription CreateOffer(IceCredentials credentials, byte[] fingerprint, IReadOnlyList<IceCandidate> candidates) => new()
    {
        Type = SdpType.Offer,
        IceCredentials = credentials,
        Fingerprint = fingerprint,
        Setup = DtlsSetupRole.ActPass,
        Candidates = candidates,
    };

    /// <summary>
    /// The answer to <paramref name="offer"/>, Chromium-shaped: setup active (the answerer is the DTLS client), the
    /// offer's mid and sctp-port, our max-message-size.
    /// </summary>
    public static SessionDescription CreateAnswer(SessionDescription offer, IceCredentials credentials, byte[] fingerprint, IReadOnlyList<IceCandidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(offer);
        return new SessionDescription
        {
            Type = SdpType.Answer,
            IceCredentials = credentials,
            Fingerprint = fingerprint,
            Setup = offer.Setup == DtlsSetupRole.Active ? DtlsSetupRole.Passive : DtlsSetupRole.Active,
            Mid = offer.Mid,
            SctpPort = offer.SctpPort,
            Candidates = candidates,
        };
    }

    /// <summary>Colon-separated upper-case hex, as both browsers write a=fingerprint.</summary>
    public static string FormatFingerprint(ReadOnlySpan<byte> fingerprint)
    {
        var sb = new StringBuilder(fingerprint.Length * 3);
        for (int i = 0; i < fingerprint.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(':');
            }

            sb.Append(fingerprint[i].ToString("X2", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>The SDP text in Chromium's line order with CRLF line ends.</summary>
    public override string ToString()
    {
        // Chromium puts the default (first, highest-priority) candidate's address in m= and c=.
        IceCandidate? first = Candidates.Count > 0 ? Candidates[0] : null;
        int port = first?.EndPoint.Port ?? 9;
        string c = first is null
            ? "IN IP4 0.0.0.0"
            : first.AddressFamily == AddressFamily.InterNetworkV6 ? $"IN IP6 {first.EndPoint.Address}" : $"IN IP4 {first.EndPoint.Address}";
        var sb = new StringBuilder(1024);
        void Line(string s) => sb.Append(s).Append("\r\n");
        Line("v=0");
        Line($"o=- {SessionId} {SessionVersion.ToString(CultureInfo.InvariantCulture)} IN IP4 127.0.0.1");
        Line("s=-");
        Line("t=0 0");
        Line($"a=group:BUNDLE {Mid}");
        Line("a=extmap-allow-mixed");
        Line("a=msid-semantic: WMS");
        Line($"m=application {port.ToString(CultureInfo.InvariantCulture)} UDP/DTLS/SCTP webrtc-datachannel");
        Line($"c={c}");
        foreach (IceCandidate candidate in Candidates)
        {
            Line($"a={candidate.ToSdpValue()}");
        }

        if (EndOfCandidates)
        {
            Line("a=end-of-candidates");
        }

        Line($"a=ice-ufrag:{IceCredentials.Ufrag}");
        Line($"a=ice-pwd:{IceCredentials.Password}");
        if (IceOptions.Count > 0)
        {
            Line($"a=ice-options:{string.Join(' ', IceOptions)}");
        }

        Line($"a=fingerprint:{FingerprintAlgorithm} {FormatFingerprint(Fingerprint)}");
        Line($"a=setup:{Setup.ToString().ToLowerInvariant()}");
        Line($"a=mid:{Mid}");
        Line($"a=sctp-port:{SctpPort.ToString(CultureInfo.InvariantCulture)}");
        if (MaxMessageSize is { } max)
        {
            Line($"a=max-message-size:{max.ToString(CultureInfo.InvariantCulture)}");
        }

        return sb.ToString();
    }

    /// <summary>Like libwebrtc: a random 64-bit number with the top bit cleared, in decimal (usually 19 digits).</summary>
    private static string NewSessionId() =>
        (BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue).ToString(CultureInfo.InvariantCulture);
}
