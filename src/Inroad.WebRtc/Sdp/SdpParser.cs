using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Inroad.WebRtc.Ice;

namespace Inroad.WebRtc.Sdp;

/// <summary>
/// A tolerant reader for the data-channel descriptions Chromium and Firefox produce (and ours): CRLF or LF,
/// session-level attributes inherited by the media section (Firefox puts the fingerprint there), unknown lines
/// ignored, candidates we cannot use (TCP, mDNS names, other components) skipped. Never throws on input.
/// </summary>
internal static class SdpParser
{
    public static bool TryParse(string? text, SdpType type, [NotNullWhen(true)] out SessionDescription? description, out string? error)
    {
        description = null;
        error = null;
        if (string.IsNullOrEmpty(text) || text.Length > 64 * 1024)
        {
            error = "empty or oversized SDP";
            return false;
        }

        string? sessionId = null;
        long version = 0;
        string? ufrag = null, pwd = null, fingerprintAlgorithm = null, mid = null;
        byte[]? fingerprint = null;
        DtlsSetupRole? setup = null;
        int sctpPort = 5000;
        long? maxMessageSize = null;
        var candidates = new List<IceCandidate>();
        var options = new List<string>();
        bool endOfCandidates = false, iceLite = false, sawVersion = false;
        int section = -1; // -1 session level, 0 our application section, 1 another section
        bool found = false;

        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length < 2 || line[1] != '=')
            {
                continue;
            }

            string value = line[2..];
            switch (line[0])
            {
                case 'v':
                    sawVersion = value == "0";
                    break;
                case 'o':
                    string[] o = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (o.Length >= 3)
                    {
                        sessionId = o[1];
                        _ = long.TryParse(o[2], NumberStyles.None, CultureInfo.InvariantCulture, out version);
                    }

                    break;
                case 'm':
                    // Bundle: the first application section that carries data channels is ours.
                    bool ours = !found && value.StartsWith("application ", StringComparison.Ordinal)
                        && (value.Contains("webrtc-datachannel", StringComparison.Ordinal) || value.Contains("DTLS/SCTP", StringComparison.Ordinal))
                        && !value.StartsWith("application 0 ", StringComparison.Ordinal);
                    section = ours ? 0 : 1;
                    found |= ours;
                    break;
                case 'a' when section != 1:
                    ParseAttribute(value);
                    break;
            }
        }

        if (!sawVersion)
        {
            error = "missing v=0";
        }
        else if (!found)
        {
            error = "no m=application section for data channels";
        }
        else if (ufrag is null || pwd is null || !IceCredentials.IsValid(ufrag, pwd))
        {
            error = "missing or invalid ice-ufrag/ice-pwd";
        }
        else if (fingerprint is null || fingerprintAlgorithm is null)
        {
            error = "missing or invalid fingerprint";
        }
        else if (setup is null && type == SdpType.Answer)
        {
            error = "answer without a=setup";
        }

        if (error is not null)
        {
            return false;
        }

        description = new SessionDescription
        {
            Type = type,
            SessionId = sessionId ?? "0",
            SessionVersion = version,
            IceCredentials = new IceCredentials(ufrag!, pwd!),
            FingerprintAlgorithm = fingerprintAlgorithm!,
            Fingerprint = fingerprint!,
            Setup = setup ?? DtlsSetupRole.ActPass,
            Mid = mid ?? "0",
            SctpPort = sctpPort,
            MaxMessageSize = maxMessageSize,
            Candidates = candidates,
            EndOfCandidates = endOfCandidates,
            IceOptions = options,
            IceLite = iceLite,
        };
        return true;

        void ParseAttribute(string a)
        {
            int colon = a.IndexOf(':', StringComparison.Ordinal);
            string name = colon < 0 ? a : a[..colon];
            string arg = colon < 0 ? string.Empty : a[(colon + 1)..].Trim();
            switch (name)
            {
                case "ice-ufrag":
                    ufrag = arg;
                    break;
                case "ice-pwd":
                    pwd = arg;
                    break;
                case "ice-lite":
                    iceLite = true;
                    break;
                case "ice-options":
                    options.AddRange(arg.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    break;
                case "fingerprint":
                    int space = arg.IndexOf(' ', StringComparison.Ordinal);
                    if (space > 0 && TryParseFingerprint(arg[(space + 1)..].Trim(), out byte[]? fp))
                    {
                        fingerprintAlgorithm ??= arg[..space].ToLowerInvariant();
                        fingerprint ??= fp;
                    }

                    break;
                case "setup":
                    setup = arg switch
                    {
                        "actpass" => DtlsSetupRole.ActPass,
                        "active" => DtlsSetupRole.Active,
                        "passive" => DtlsSetupRole.Passive,
                        _ => setup,
                    };
                    break;
                case "mid":
                    mid = arg;
                    break;
                case "sctp-port":
                    if (int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535)
                    {
                        sctpPort = p;
                    }

                    break;
                case "max-message-size":
                    if (long.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out long m))
                    {
                        maxMessageSize = m;
                    }

                    break;
                case "candidate":
                    if (IceCandidate.TryParse(a, out IceCandidate? c) && !candidates.Exists(x => x.EndPoint.Equals(c.EndPoint)))
                    {
                        candidates.Add(c);
                    }

                    break;
                case "end-of-candidates":
                    endOfCandidates = true;
                    break;
            }
        }
    }

    private static bool TryParseFingerprint(string hex, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        string[] parts = hex.Split(':');
        if (parts.Length is < 16 or > 64)
        {
            return false;
        }

        var result = new byte[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out result[i]))
            {
                return false;
            }
        }

        bytes = result;
        return true;
    }
}
