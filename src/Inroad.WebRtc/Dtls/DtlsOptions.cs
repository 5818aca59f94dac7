using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.WebRtc.Dtls;

/// <summary>Options for one DTLS connection (either role).</summary>
public sealed class DtlsOptions
{
    /// <summary>Our certificate (its fingerprint goes in our SDP). Required.</summary>
    public DtlsCertificate? Certificate { get; set; }

    /// <summary>The fingerprint from the peer's SDP; the handshake fails unless its certificate hashes to it. Required.</summary>
    public DtlsFingerprint? RemoteFingerprint { get; set; }

    /// <summary>Which ClientHello to wear (client) and ServerHello order (server). Defaults to Chromium with the BoringSSL order.</summary>
    public DtlsShapePlan? Shape { get; set; }

    /// <summary>Overall handshake limit. Defaults to 10 s; bounded to (0, 2 min] so a dead peer never keeps a thread forever.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// First retransmission timeout; doubled by BouncyCastle after each loss. Defaults to 50 ms as WebRTC
    /// (Chromium was measured resending after ~62 ms). A random jitter of up to +25 % is added per connection.
    /// </summary>
    public TimeSpan InitialRetransmitTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Use .NET <see cref="System.Security.Cryptography.AesGcm"/> for records (default) instead of BouncyCastle's AES-GCM.</summary>
    public bool UseNetAesGcm { get; set; } = true;

    /// <summary>
    /// Keep every application record in BouncyCastle instead of sealing and opening AES-GCM records in place
    /// after the handshake. Defaults to false.
    /// </summary>
    internal bool DisableFastRecords { get; set; }

    /// <summary>Source of the per-connection wire choices (extension permutation, timer jitter). Defaults to a fresh OS-seeded generator.</summary>
    internal Random? ShapeRandom { get; set; }

    /// <summary>Test hook: as a server, send the downgrade sentinel even to a client offering 1.3.</summary>
    internal bool AlwaysSendDowngradeSentinel { get; set; }

    /// <summary>Logger factory for the "Inroad.WebRtc.Dtls" category. Defaults to none.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Checks every property before any I/O; names the bad one.</summary>
    public void Validate()
    {
        if (Certificate is null)
        {
            throw new ArgumentException("A local certificate is required.", nameof(Certificate));
        }

        if (RemoteFingerprint is null)
        {
            throw new ArgumentException("The peer's SDP fingerprint is required.", nameof(RemoteFingerprint));
        }

        if (HandshakeTimeout <= TimeSpan.Zero || HandshakeTimeout > TimeSpan.FromMinutes(2))
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "Must be within (0, 2 min].");
        }

        if (InitialRetransmitTimeout < TimeSpan.FromMilliseconds(10) || InitialRetransmitTimeout > TimeSpan.FromSeconds(5))
        {
            throw new ArgumentOutOfRangeException(nameof(InitialRetransmitTimeout), InitialRetransmitTimeout, "Must be within [10 ms, 5 s].");
        }

        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }
}
