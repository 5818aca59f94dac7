using System.Text.Json;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Transport;
using Microsoft.Extensions.Logging;

namespace Inroad.WebRtc.Tests.Dtls;

/// <summary>What a censor's probes get (probe-answers.md): silence, no exception, nothing logged above Debug.</summary>
public sealed class ProbeTests
{
    public static TheoryData<string> ProbeNames() => [.. Probes().Keys];

    [Fact]
    public void Before_ICE_nothing_reaches_DTLS_not_even_a_replayed_browser_ClientHello()
    {
        foreach (var (name, probe) in Probes())
        {
            Assert.False(DtlsDemux.ShouldDeliver(probe, pairVerifiedByIce: false), name);
        }

        var (datagrams, _) = BrowserCaptures.FirstClientHello("chromium.pcapng");
        Assert.All(datagrams, d => Assert.False(DtlsDemux.ShouldDeliver(d, pairVerifiedByIce: false)));
        Assert.All(datagrams, d => Assert.True(DtlsDemux.ShouldDeliver(d, pairVerifiedByIce: true)));
        Assert.False(DtlsDemux.ShouldDeliver([0x00, 0x01, 0x00, 0x00], pairVerifiedByIce: true)); // STUN goes elsewhere
    }

    [Theory]
    [MemberData(nameof(ProbeNames))]
    public async Task A_server_answers_a_probe_with_silence_and_stays_able_to_handshake(string name)
    {
        using var cts = DtlsTestPeers.Timeout();
        var logs = new CapturingLoggerFactory();
        var (a, b) = InMemoryDatagramLink.CreatePair(maxDatagramSize: 5000);
        var serverOptions = DtlsTestPeers.ServerOptions();
        serverOptions.LoggerFactory = logs;
        var accept = DtlsConnection.AcceptAsync(b, serverOptions, cts.Token);

        // The probe, and again to be sure, then a quiet period in which the server must not send anything.
        await a.SendAsync(Probes()[name], cts.Token);
        await a.SendAsync(Probes()[name], cts.Token);
        var buffer = new byte[5000];
        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
        {
            quiet.CancelAfter(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await a.ReceiveAsync(buffer, quiet.Token));
        }

        Assert.False(accept.IsCompleted);

        // The real peer still gets its handshake.
        var connection = await DtlsConnection.ConnectAsync(a, DtlsTestPeers.ClientOptions(), cts.Token);
        await using (connection)
        await using (await accept)
        {
            Assert.NotEqual(0, connection.CipherSuite);
        }

        Assert.DoesNotContain(logs.Levels, l => l > LogLevel.Debug);
    }

    [Fact]
    public async Task A_server_fed_only_junk_ends_by_timeout_or_cancellation_and_logs_at_debug_only()
    {
        using var cts = DtlsTestPeers.Timeout();
        var logs = new CapturingLoggerFactory();
        var (a, b) = InMemoryDatagramLink.CreatePair(maxDatagramSize: 5000);
        var options = DtlsTestPeers.ServerOptions();
        options.LoggerFactory = logs;
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(500);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(3));
        var accept = DtlsConnection.AcceptAsync(b, options, deadline.Token);
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var junk = new byte[random.Next(1, 4000)];
            random.NextBytes(junk);
            await a.SendAsync(junk, cts.Token);
        }

        foreach (var probe in Probes().Values)
        {
            await a.SendAsync(probe, cts.Token);
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() => accept);
        Assert.True(
            error is OperationCanceledException || error is DtlsException { Error: DtlsError.HandshakeTimeout },
            $"unexpected {error.GetType().Name}: {error.Message}");
        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
        {
            quiet.CancelAfter(TimeSpan.FromMilliseconds(100));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await a.ReceiveAsync(new byte[5000], quiet.Token));
        }

        Assert.DoesNotContain(logs.Levels, l => l > LogLevel.Debug);
    }

    /// <summary>Probes a censor sends to a suspected proxy (probe-answers.md §1): junk, and everything DTLS-shaped that is not a usable ClientHello.</summary>
    internal static Dictionary<string, byte[]> Probes()
    {
        var random = new Random(42);
        byte[] Random(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        byte[] chromeHello2022 = Convert.FromHexString(CapturedVector("frame 2"));
        byte[] garbledHello = (byte[])chromeHello2022.Clone();
        Assert.True(ClientHelloInfo.TryRead(garbledHello.AsSpan(25), out _, out int extensionsStart));
        garbledHello[25 + extensionsStart + 1] += 3; // the extension block no longer adds up
        byte[] truncatedHello = chromeHello2022[..60];
        truncatedHello[11] = 0;
        truncatedHello[12] = 47;

        return new Dictionary<string, byte[]>
        {
            ["empty"] = [],
            ["one byte"] = [0x16],
            ["random 100"] = Random(100),
            ["random 1200"] = Random(1200),
            ["random 4000"] = Random(4000),
            ["dtls-looking random"] = [0x16, 0xfe, 0xfd, .. Random(200)],
            ["garbled ClientHello extensions"] = garbledHello,
            ["truncated ClientHello"] = truncatedHello,
            ["alert fatal epoch 0"] = [0x15, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 40],
            ["application data epoch 1"] = [0x17, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 40, .. Random(40)],
            ["change cipher spec"] = [0x14, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 18, 0, 1, 1],
            ["unknown content type"] = [0x19, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4],
            ["DTLS 1.3 ciphertext"] = [0x2e, 0x00, 0x01, 0x00, 0x30, .. Random(48)],
            ["ServerHello first"] = [0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50, 2, 0, 0, 38, 0, 0, 0, 0, 0, 0, 0, 38, .. Random(38)],
            ["SCTP INIT"] = Convert.FromHexString("138813880000000000000000010000200000000000500000ffffffff00000001c000000480080006c0820000"),
        };
    }

    private static string CapturedVector(string name)
    {
        string? shared = BrowserCaptures.SharedDirectory();
        string path = shared is null ? string.Empty : Path.Combine(shared, "vectors", "sctp", "dtls-records.json");
        if (!File.Exists(path))
        {
            Inroad.Testing.Prerequisites.Missing("../shared/vectors/sctp/dtls-records.json");
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("capture").GetProperty("datagrams").EnumerateArray()
            .First(d => d.GetProperty("name").GetString() == name).GetProperty("hex").GetString()!;
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly List<LogLevel> _levels = [];

        public IReadOnlyList<LogLevel> Levels
        {
            get
            {
                lock (_levels)
                {
                    return [.. _levels];
                }
            }
        }

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_levels)
            {
                _levels.Add(logLevel);
            }
        }
    }
}
