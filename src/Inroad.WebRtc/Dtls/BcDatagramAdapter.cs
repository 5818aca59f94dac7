using Inroad.WebRtc.Transport;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Tls;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// Presents an <see cref="IDatagramTransport"/> to BouncyCastle's blocking <see cref="DatagramTransport"/>.
/// During the handshake it coalesces the records of a flight into one datagram as browsers do (BouncyCastle
/// sends one record per datagram): sends are buffered up to the shape's limit and flushed when BouncyCastle
/// waits for the peer, which it always does at the end of a flight. As a server it keeps silent to anything
/// but a ClientHello until one has arrived (Chromium answers probes with silence). It also watches hellos
/// and alerts so a refusal to do DTLS 1.2 can be reported clearly.
/// </summary>
internal sealed class BcDatagramAdapter : DatagramTransport, IDisposable
{
    private const int QueueLimit = 512;
    private const int MaxHelloDatagrams = 4;
    private readonly IDatagramTransport _inner;
    private readonly int _sendLimit;
    private readonly bool _isServer;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _lock = new();
    private readonly Queue<byte[]> _received = new(); // guarded by _lock
    private readonly SemaphoreSlim _available = new(0);
    private readonly byte[] _flight;
    private int _flightLength; // guarded by _lock (BouncyCastle sends from one thread at a time)
    private bool _coalescing = true;
    private readonly List<byte[]> _pendingHello = []; // pump thread only
    private bool _sawClientHello;
    private volatile bool _closed;

    public BcDatagramAdapter(IDatagramTransport inner, int sendLimit, bool isServer, ILogger logger)
    {
        _inner = inner;
        _sendLimit = Math.Min(sendLimit, inner.MaxDatagramSize);
        _isServer = isServer;
        _logger = logger;
        _flight = new byte[_sendLimit];
        Pump = Task.Run(PumpAsync);
    }

    public Task Pump { get; }

    /// <summary>A ServerHello selecting DTLS 1.3 (supported_versions 0xfefc) arrived.</summary>
    public bool SawDtls13ServerHello { get; private set; }

    /// <summary>The client's supported_versions lists DTLS 1.3 but not 1.2.</summary>
    public bool ClientOnlyOffersDtls13 { get; private set; }

    /// <summary>A plaintext protocol_version alert arrived.</summary>
    public bool SawProtocolVersionAlert { get; private set; }

    /// <summary>The first ServerHello seen (client side), for tests and diagnostics.</summary>
    public ServerHelloInfo? ServerHello { get; private set; }

    public bool IsClosed => _closed;

    /// <summary>True while datagrams wait for <see cref="Receive(Span{byte}, int)"/>.</summary>
    public bool HasQueued
    {
        get
        {
            lock (_lock)
            {
                return _received.Count > 0;
            }
        }
    }

    public int GetReceiveLimit() => Math.Max(_inner.MaxDatagramSize, 1500);

    // Handshake flights keep the browser's datagram size; application records may use the whole path
    // (SCTP's 1200-byte packets plus record overhead exceed a 1200-byte flight limit).
    public int GetSendLimit() => _coalescing ? _sendLimit : _inner.MaxDatagramSize;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        FlushFlight();
        ThrowIfClosedAndEmpty();
        if (!_available.Wait(waitMillis == 0 ? Timeout.Infinite : waitMillis))
        {
            return -1;
        }

        ThrowIfClosedAndEmpty();

        byte[] datagram;
        lock (_lock)
        {
            if (!_received.TryDequeue(out datagram!))
            {
                return -1;
            }
        }

        int n = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_closed)
        {
            return;
        }

        if (_coalescing)
        {
            lock (_lock)
            {
                if (_flightLength + buffer.Length <= _flight.Length)
                {
                    buffer.CopyTo(_flight.AsSpan(_flightLength));
                    _flightLength += buffer.Length;
                    return;
                }
            }

            FlushFlight();
            if (buffer.Length <= _flight.Length)
            {
                lock (_lock)
                {
                    buffer.CopyTo(_flight);
                    _flightLength = buffer.Length;
                }

                return;
            }
        }

        SendNow(buffer);
    }

    /// <summary>Sends what is buffered and stops coalescing: called when the handshake is complete.</summary>
    public void FlushAndPassThrough()
    {
        FlushFlight();
        _coalescing = false;
    }

    /// <summary>Completes when a datagram is queued for <see cref="Receive(Span{byte}, int)"/> (or the transport closed).</summary>
    public async ValueTask WaitForDataAsync(CancellationToken cancellationToken)
    {
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        _available.Release();
    }

    public void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _closing.Cancel();
        _available.Release();
    }

    public void Dispose()
    {
        Close();
        _closing.Dispose();
    }

    private void ThrowIfClosedAndEmpty()
    {
        if (_closed)
        {
            lock (_lock)
            {
                if (_received.Count == 0)
                {
                    _available.Release(); // keep waking any other waiter
                    throw new IOException("The datagram transport closed.");
                }
            }
        }
    }

    private void FlushFlight()
    {
        byte[]? pending = null;
        lock (_lock)
        {
            if (_flightLength > 0)
            {
                pending = _flight.AsSpan(0, _flightLength).ToArray();
                _flightLength = 0;
            }
        }

        if (pending is not null)
        {
            SendNow(pending);
        }
    }

    private void SendNow(ReadOnlySpan<byte> datagram)
    {
        try
        {
            var pending = _inner.SendAsync(datagram.ToArray(), CancellationToken.None);
            if (!pending.IsCompletedSuccessfully)
            {
                pending.AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // A datagram that cannot be sent is a lost datagram; the handshake timeout ends the attempt.
        }
    }

    /// <summary>
    /// Queues a datagram pushed by the lower layer (after the handshake, when records the in-place path does not
    /// take arrive on the socket's thread) exactly as one the pump received.
    /// </summary>
    public void Deliver(ReadOnlySpan<byte> datagram)
    {
        if (!_closed)
        {
            Enqueue(Inspect(datagram));
        }
    }

    private void Enqueue(IEnumerable<byte[]> datagrams)
    {
        foreach (byte[] datagram in datagrams)
        {
            lock (_lock)
            {
                if (_received.Count >= QueueLimit)
                {
                    continue; // a receiver that does not keep up loses datagrams, as a socket would
                }

                _received.Enqueue(datagram);
            }

            _available.Release();
        }
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[GetReceiveLimit()];
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                int n = await _inner.ReceiveAsync(buffer, _closing.Token).ConfigureAwait(false);
                Enqueue(Inspect(buffer.AsSpan(0, n)));
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
        }
        finally
        {
            _closed = true;
            _available.Release();
        }
    }

    /// <summary>
    /// Decides which datagrams reach BouncyCastle. A server keeps silent (nothing reaches BouncyCastle, so it
    /// cannot answer or alert) until it holds a complete, well-formed ClientHello; then it releases that hello's
    /// datagrams in order. It also notes what the peer says about versions.
    /// </summary>
    private IEnumerable<byte[]> Inspect(ReadOnlySpan<byte> datagram)
    {
        if (_isServer && !_sawClientHello)
        {
            bool continuesHello = _pendingHello.Count > 0 && DtlsWire.TryReadRecord(datagram, out var r, out _)
                && r.ContentType == DtlsWire.ContentHandshake && r.Epoch == 0;
            if (!DtlsWire.StartsWithClientHello(datagram) && !continuesHello)
            {
                DtlsLog.ProbeDropped(_logger, datagram.Length);
                return [];
            }

            _pendingHello.Add(datagram.ToArray());
            byte[]? body = DtlsWire.ReassembleHandshake(_pendingHello, DtlsWire.ClientHelloType);
            if (body is null)
            {
                if (_pendingHello.Count > MaxHelloDatagrams)
                {
                    _pendingHello.Clear();
                }

                return [];
            }

            byte[][] release = [.. _pendingHello];
            _pendingHello.Clear();
            if (!ClientHelloInfo.TryRead(body, out var hello))
            {
                DtlsLog.ProbeDropped(_logger, body.Length);
                return [];
            }

            _sawClientHello = true;
            byte[]? versions = hello.Extension(ExtensionTypes.SupportedVersions);
            ClientOnlyOffersDtls13 = versions is not null && ClientHelloProfiles.ListsVersion(versions, 0xfefc) && !ClientHelloProfiles.ListsVersion(versions, 0xfefd);
            return release;
        }

        if (!_isServer && ServerHello is null && DtlsWire.TryReadRecord(datagram, out var record, out _) && record.Epoch == 0)
        {
            var fragment = datagram.Slice(DtlsWire.RecordHeaderLength, record.Length);
            if (record.ContentType == DtlsWire.ContentAlert && fragment.Length == 2 && fragment[1] == AlertDescription.protocol_version)
            {
                SawProtocolVersionAlert = true;
            }
            else if (record.ContentType == DtlsWire.ContentHandshake && DtlsWire.TryReadHandshakeHeader(fragment, out var hs)
                && hs.MessageType == DtlsWire.ServerHelloType && hs.FragmentOffset == 0 && hs.FragmentLength == hs.Length
                && ServerHelloInfo.TryRead(fragment.Slice(DtlsWire.HandshakeHeaderLength, hs.Length), out var serverHello))
            {
                ServerHello = serverHello;
                SawDtls13ServerHello = serverHello.SelectsDtls13;
            }
        }

        return [datagram.ToArray()];
    }
}
