using System.Threading.Channels;
using Inroad.WebRtc.Transport;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// A DTLS 1.2 association over the ICE-selected path, exposing the decrypted application data as an
/// <see cref="IDatagramTransport"/> (SCTP runs on it). Created with <see cref="ConnectAsync"/> (DTLS client,
/// which in WebRTC is the SDP answerer) or <see cref="AcceptAsync"/> (DTLS server, the offerer).
/// BouncyCastle's handshake is blocking, so it runs on a dedicated thread; records are then sealed and
/// opened on the caller's thread.
/// </summary>
public sealed class DtlsConnection : IDatagramBatchTransport, IDatagramReceiver
{
    private readonly BcDatagramAdapter _adapter;
    private readonly DtlsTransport _dtls;
    private readonly Lock _recordLock = new();
    private readonly Channel<byte[]> _inbound = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(InboundLimit) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly DtlsFastRecords? _fast;
    private readonly IDatagramBatchTransport? _lower; // set when records are sealed and opened here, in place
    private readonly Lock _receiverLock = new();
    private volatile IDatagramReceiver? _receiver;
    private bool _readEnded; // guarded by _receiverLock: no record will be read again (close_notify, alert, transport gone)
    private byte[] _sealBuffer = []; // guarded by _recordLock
    private int[] _sealLengths = []; // guarded by _recordLock
    private volatile bool _disposed;

    private DtlsConnection(BcDatagramAdapter adapter, DtlsTransport dtls, int srtpProfile, int cipherSuite, int version, DtlsProfileKind profile, DtlsFastRecords? fast, IDatagramBatchTransport? lower)
    {
        Version = version;
        _adapter = adapter;
        _dtls = dtls;
        SrtpProfile = srtpProfile;
        CipherSuite = cipherSuite;
        Profile = profile;
        MaxDatagramSize = dtls.GetSendLimit();
        _reader = Task.Run(ReadLoopAsync);
        if (fast is not null && lower is not null && lower.TryAttachReceiver(this))
        {
            _fast = fast;
            _lower = lower;
        }
        else
        {
            fast?.Dispose();
        }
    }

    /// <summary>True when application records are sealed and opened in place here rather than by BouncyCastle.</summary>
    internal bool FastRecords => _fast is not null;

    /// <summary>Records the in-place path sealed and opened.</summary>
    internal (long Sealed, long Opened) FastRecordCounts => _fast is null ? default : (_fast.Sealed, _fast.Opened);

    private const int InboundLimit = 1024;
    private readonly Task _reader;

    /// <summary>Largest application datagram one record can carry.</summary>
    public int MaxDatagramSize { get; }

    /// <summary>The negotiated use_srtp profile (RFC 5764), 0 when none.</summary>
    public int SrtpProfile { get; }

    /// <summary>The negotiated protocol version as on the wire (0xfefd: DTLS 1.2).</summary>
    public int Version { get; }

    /// <summary>The negotiated cipher suite.</summary>
    public int CipherSuite { get; }

    /// <summary>The ClientHello profile in use (for the server: the one configured, not the peer's).</summary>
    public DtlsProfileKind Profile { get; }

    /// <summary>Runs the DTLS client handshake over <paramref name="transport"/>.</summary>
    public static Task<DtlsConnection> ConnectAsync(IDatagramTransport transport, DtlsOptions options, CancellationToken cancellationToken = default) =>
        HandshakeAsync(transport, options, isServer: false, cancellationToken);

    /// <summary>Runs the DTLS server handshake over <paramref name="transport"/>.</summary>
    public static Task<DtlsConnection> AcceptAsync(IDatagramTransport transport, DtlsOptions options, CancellationToken cancellationToken = default) =>
        HandshakeAsync(transport, options, isServer: true, cancellationToken);

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (datagram.Length > MaxDatagramSize)
        {
            throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds {MaxDatagramSize}.", nameof(datagram));
        }

        if (_fast is not null)
        {
            ReadOnlySpan<int> one = [datagram.Length];
            SendBatch(datagram.Span, one);
            return ValueTask.CompletedTask;
        }

        try
        {
            lock (_recordLock)
            {
                _dtls.Send(datagram.Span);
            }
        }
        catch (IOException ex)
        {
            throw new DtlsException(DtlsError.TransportClosed, "The DTLS connection is closed.", ex);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Seals each datagram as its own record and sends them as one batch (one GSO call per run of equal sizes
    /// below). Without the in-place path, BouncyCastle seals and sends them one by one.
    /// </summary>
    public void SendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            lock (_recordLock)
            {
                if (_fast is null || _lower is null)
                {
                    int at = 0;
                    foreach (int length in lengths)
                    {
                        if (length > MaxDatagramSize)
                        {
                            throw new ArgumentException($"Datagram of {length} bytes exceeds {MaxDatagramSize}.", nameof(lengths));
                        }

                        _dtls.Send(datagrams.Slice(at, length));
                        at += length;
                    }

                    return;
                }

                int need = datagrams.Length + (lengths.Length * DtlsFastRecords.Overhead);
                if (_sealBuffer.Length < need)
                {
                    _sealBuffer = new byte[Math.Max(need, 64 * (MaxDatagramSize + DtlsFastRecords.Overhead))];
                }

                if (_sealLengths.Length < lengths.Length)
                {
                    _sealLengths = new int[Math.Max(lengths.Length, 64)];
                }

                int inOffset = 0;
                int outOffset = 0;
                for (int i = 0; i < lengths.Length; i++)
                {
                    int length = lengths[i];
                    if (length > MaxDatagramSize)
                    {
                        throw new ArgumentException($"Datagram of {length} bytes exceeds {MaxDatagramSize}.", nameof(lengths));
                    }

                    int sealedLength = _fast.Seal(datagrams.Slice(inOffset, length), _sealBuffer.AsSpan(outOffset));
                    _sealLengths[i] = sealedLength;
                    inOffset += length;
                    outOffset += sealedLength;
                }

                _lower.SendBatch(_sealBuffer.AsSpan(0, outOffset), _sealLengths.AsSpan(0, lengths.Length));
            }
        }
        catch (IOException ex)
        {
            throw new DtlsException(DtlsError.TransportClosed, "The DTLS connection is closed.", ex);
        }
    }

    /// <summary>Pushes decrypted datagrams to <paramref name="receiver"/> from now on (what is queued is handed over first).</summary>
    public bool TryAttachReceiver(IDatagramReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        lock (_receiverLock)
        {
            _receiver = receiver;
            bool any = false;
            while (_inbound.Reader.TryRead(out byte[]? queued))
            {
                receiver.OnDatagram(queued);
                any = true;
            }

            if (any)
            {
                receiver.OnBatchEnd();
            }

            if (_readEnded)
            {
                receiver.OnClosed();
            }
        }

        return true;
    }

    /// <summary>A datagram from the ICE socket's thread: opened here when it is one application record, else BouncyCastle's.</summary>
    void IDatagramReceiver.OnDatagram(Span<byte> datagram)
    {
        if (_disposed)
        {
            return;
        }

        int result;
        int offset;
        int length;
        try
        {
            result = _fast!.TryOpen(datagram, out offset, out length);
        }
        catch (ObjectDisposedException)
        {
            return; // closed while the socket thread was delivering
        }

        if (result > 0)
        {
            if (_receiver is { } receiver)
            {
                receiver.OnDatagram(datagram.Slice(offset, length));
            }
            else
            {
                Queue(datagram.Slice(offset, length));
            }
        }
        else if (result == 0)
        {
            _adapter.Deliver(datagram);
        }
    }

    void IDatagramReceiver.OnBatchEnd() => _receiver?.OnBatchEnd();

    // The ICE path is gone: what BouncyCastle has queued is still read, then the read loop ends and tells the layer above.
    void IDatagramReceiver.OnClosed() => _adapter.Close();

    private void Queue(ReadOnlySpan<byte> plaintext)
    {
        lock (_receiverLock)
        {
            if (_receiver is { } receiver)
            {
                byte[] copy = plaintext.ToArray();
                receiver.OnDatagram(copy);
                receiver.OnBatchEnd();
            }
            else
            {
                _inbound.Writer.TryWrite(plaintext.ToArray());
            }
        }
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] datagram;
        try
        {
            datagram = await _inbound.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(DtlsConnection));
        }

        int n = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, n).CopyTo(buffer.Span);
        return n;
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }

        _disposed = true;
        _closing.Cancel();
        try
        {
            lock (_recordLock)
            {
                _dtls.Close(); // sends close_notify, as browsers do on pc.close()
            }
        }
        catch (IOException)
        {
        }

        _adapter.Dispose();
        _closing.Dispose();
        _fast?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Keeps reading even when no one asks for data, so a retransmitted final flight from the peer is answered
    /// (BouncyCastle does that inside Receive), and queues application data for <see cref="ReceiveAsync"/>.
    /// </summary>
    private async Task ReadLoopAsync()
    {
        var buffer = new byte[Math.Max(MaxDatagramSize, 1500)];
        try
        {
            while (true)
            {
                await _adapter.WaitForDataAsync(_closing.Token).ConfigureAwait(false);
                int n;
                lock (_recordLock)
                {
                    // The datagram is already queued: this opens it, or answers a retransmitted final flight,
                    // without waiting more than a millisecond.
                    n = _dtls.Receive(buffer, 0, buffer.Length, 1);
                }

                if (n >= 0)
                {
                    if (_receiver is { } receiver)
                    {
                        receiver.OnDatagram(buffer.AsSpan(0, n));
                        receiver.OnBatchEnd();
                    }
                    else
                    {
                        Queue(buffer.AsSpan(0, n));
                    }
                }
                else if (_adapter.IsClosed && !_adapter.HasQueued)
                {
                    break; // the peer's close_notify closed the adapter: nothing more will come
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed by us, by the transport, or by the peer's close_notify/fatal alert.
        }
        finally
        {
            _inbound.Writer.TryComplete();
            IDatagramReceiver? receiver;
            lock (_receiverLock)
            {
                _readEnded = true;
                receiver = _receiver;
            }

            // Pushed records bypass _inbound, so the layer above hears the end here (the pull path sees _inbound complete).
            if (!_disposed)
            {
                receiver?.OnClosed();
            }
        }
    }

    private static async Task<DtlsConnection> HandshakeAsync(IDatagramTransport transport, DtlsOptions options, bool isServer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = options.LoggerFactory.CreateLogger("Inroad.WebRtc.Dtls");
        var plan = options.Shape ?? DtlsShapePlan.Fixed(DtlsProfileKind.Chromium);
        var random = options.ShapeRandom ?? SeededRandom.Fresh();
        BcTlsCrypto crypto = options.UseNetAesGcm ? new NetAesGcmTlsCrypto() : new BcTlsCrypto(new SecureRandom());
        var adapter = new BcDatagramAdapter(transport, plan.ClientHello.HandshakeDatagramLimit, isServer, logger);
        string role = isServer ? "server" : "client";

        WebRtcTlsClient? client = null;
        WebRtcTlsServer? server = null;
        Func<DtlsTransport> handshake;
        if (isServer)
        {
            server = new WebRtcTlsServer(crypto, options, plan.ServerExtensionOrder, random) { AlwaysSendDowngradeSentinel = options.AlwaysSendDowngradeSentinel };
            handshake = () => new DtlsServerProtocol().Accept(server, adapter);
        }
        else
        {
            client = new WebRtcTlsClient(crypto, options, plan.ClientHello, random);
            var protocol = new ShapedDtlsClientProtocol(client.ExtensionOrder);
            handshake = () => protocol.Connect(client, adapter);
        }

        using var registration = cancellationToken.Register(adapter.Close);
        try
        {
            var dtls = await Task.Factory.StartNew(handshake, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            adapter.FlushAndPassThrough();
            int srtp = isServer ? server!.SelectedSrtpProfile : client!.SelectedSrtpProfile;
            int suite = isServer ? server!.SelectedCipherSuite() : client!.SelectedCipherSuite();
            int version = isServer ? server!.NegotiatedVersion() : client!.NegotiatedVersion();
            DtlsLog.HandshakeCompleted(logger, role, suite, srtp, plan.Kind);
            DtlsFastRecords? fast = !options.DisableFastRecords && crypto is NetAesGcmTlsCrypto net && transport is IDatagramBatchTransport
                ? DtlsFastRecords.TryCreate(dtls, net)
                : null;
            return new DtlsConnection(adapter, dtls, srtp, suite, version, plan.Kind, fast, transport as IDatagramBatchTransport);
        }
        catch (Exception ex) when (ex is TlsException or IOException or ObjectDisposedException)
        {
            adapter.FlushAndPassThrough(); // the fatal alert BouncyCastle just wrote is still in the flight buffer
            adapter.Dispose();
            var error = Classify(ex, adapter, client, server, cancellationToken);
            DtlsLog.HandshakeFailed(logger, role, error.Error, ex);
            cancellationToken.ThrowIfCancellationRequested();
            throw error;
        }
    }

    private static DtlsException Classify(Exception ex, BcDatagramAdapter adapter, WebRtcTlsClient? client, WebRtcTlsServer? server, CancellationToken cancellationToken)
    {
        short? alert = ex switch
        {
            TlsFatalAlertReceived received => received.AlertDescription,
            TlsFatalAlert sent => sent.AlertDescription,
            _ => null,
        };
        var error = true switch
        {
            _ when client?.RejectedFingerprint == true || server?.RejectedFingerprint == true => DtlsError.FingerprintMismatch,
            _ when adapter.SawDtls13ServerHello || adapter.SawProtocolVersionAlert || adapter.ClientOnlyOffersDtls13 => DtlsError.PeerRequiresDtls13,
            _ when ex is TlsTimeoutException || (ex is TlsFatalAlert && alert == AlertDescription.internal_error && ex.InnerException is TlsTimeoutException) => DtlsError.HandshakeTimeout,
            _ when ex is TlsFatalAlertReceived => DtlsError.AlertReceived,
            _ when cancellationToken.IsCancellationRequested || ex is ObjectDisposedException || (ex is not TlsException && adapter.IsClosed) => DtlsError.TransportClosed,
            _ => DtlsError.ProtocolError,
        };
        string message = error switch
        {
            DtlsError.PeerRequiresDtls13 => "The peer requires DTLS 1.3; this stack negotiates DTLS 1.2 only.",
            DtlsError.FingerprintMismatch => "The peer's certificate does not match its SDP fingerprint.",
            DtlsError.HandshakeTimeout => "The DTLS handshake timed out.",
            DtlsError.TransportClosed => "The transport closed during the DTLS handshake.",
            _ => $"The DTLS handshake failed ({ex.Message}).",
        };
        return new DtlsException(error, message, ex) { AlertDescription = alert };
    }
}
