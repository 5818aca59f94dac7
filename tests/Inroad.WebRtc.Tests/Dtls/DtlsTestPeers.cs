using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Dtls;

/// <summary>Certificates, options and handshakes shared by the DTLS tests.</summary>
internal static class DtlsTestPeers
{
    public static readonly DtlsCertificate ClientCertificate = DtlsCertificate.Generate();
    public static readonly DtlsCertificate ServerCertificate = DtlsCertificate.Generate();

    public static DtlsOptions ClientOptions(DtlsShapePlan? plan = null, DtlsFingerprint? remote = null, int seed = 1) => new()
    {
        Certificate = ClientCertificate,
        RemoteFingerprint = remote ?? ServerCertificate.Fingerprint,
        Shape = plan,
        ShapeRandom = new SeededRandom(Seed(seed)),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
    };

    public static DtlsOptions ServerOptions(DtlsShapePlan? plan = null, DtlsFingerprint? remote = null, int seed = 2) => new()
    {
        Certificate = ServerCertificate,
        RemoteFingerprint = remote ?? ClientCertificate.Fingerprint,
        Shape = plan,
        ShapeRandom = new SeededRandom(Seed(seed)),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
    };

    public static byte[] Seed(int n)
    {
        var seed = new byte[32];
        BitConverter.TryWriteBytes(seed, n);
        seed[31] = 0x5a;
        return seed;
    }

    public static CancellationTokenSource Timeout(int seconds = 30)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }

    /// <summary>Runs both handshakes over the two ends and returns both connections (or throws the first failure).</summary>
    public static async Task<(DtlsConnection Client, DtlsConnection Server)> HandshakeAsync(
        IDatagramTransport clientEnd, IDatagramTransport serverEnd, DtlsOptions client, DtlsOptions server, CancellationToken ct)
    {
        var accept = DtlsConnection.AcceptAsync(serverEnd, server, ct);
        var connect = DtlsConnection.ConnectAsync(clientEnd, client, ct);
        await Task.WhenAll(accept.ContinueWith(_ => { }, TaskScheduler.Default), connect.ContinueWith(_ => { }, TaskScheduler.Default));
        return (await connect, await accept);
    }

    /// <summary>Wraps an end and records every datagram it sends.</summary>
    public sealed class Recorder(IDatagramTransport inner) : IDatagramTransport
    {
        public List<byte[]> Sent { get; } = [];

        public int MaxDatagramSize => inner.MaxDatagramSize;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
        {
            lock (Sent)
            {
                Sent.Add(datagram.ToArray());
            }

            return inner.SendAsync(datagram, cancellationToken);
        }

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReceiveAsync(buffer, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public byte[][] Snapshot()
        {
            lock (Sent)
            {
                return [.. Sent];
            }
        }
    }
}
