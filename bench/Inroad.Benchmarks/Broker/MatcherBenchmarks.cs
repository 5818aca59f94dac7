using System.Net;
using BenchmarkDotNet.Attributes;
using Inroad.Broker.Matching;
using Inroad.Protocol;

namespace Inroad.Benchmarks.Broker;

/// <summary>
/// Matcher cost with 1 M and 5 M queued announcements: one offer matched against the queue head plus one
/// announcement queued to keep the depth constant, per operation. Setup prints retained bytes per queued
/// announcement (matcher slot + ticket + per-IP limiter state, every announcement from its own IP).
/// </summary>
[MemoryDiagnoser]
public class MatcherBenchmarks
{
    private const int Compartments = 8;
    private static readonly Id32[] Ids = Enumerable.Range(1, Compartments).Select(i => Id32.NewRandom()).ToArray();

    private const int OpsPerInvoke = 1024;

    private Matcher _matcher = null!;
    private long _now;
    private int _next;

    [Params(1_000_000, 5_000_000)]
    public int Queued { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        _matcher = NewMatcher();
        _now = 1_000;
        for (_next = 0; _next < Queued; _next++)
        {
            _ = _matcher.Announce(NewAnnouncement(_next, _now), _now);
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"// {Queued} queued: {(after - before) / (double)Queued:F1} bytes per queued announcement (retained, incl. ticket and per-IP state)");
    }

    /// <summary>
    /// An offer matched against a full queue, then one announcement queued to keep the depth; 1,024 of them per
    /// invocation so timer resolution and one-off scheduler hiccups on the shared machine average out. The tickets
    /// are built inside the loop, so the allocation column includes them (the matcher itself allocates one
    /// ProxyMatch per match). <c>matcher-latency</c> gives the p50/p99 of the match alone.
    /// </summary>
    [Benchmark(OperationsPerInvoke = OpsPerInvoke)]
    public int MatchThenReplenish()
    {
        int matched = 0;
        for (int i = 0; i < OpsPerInvoke; i++)
        {
            OfferTicket offer = NewOffer(_next, _now);
            _ = _matcher.Offer(offer, _now);
            _ = _matcher.Announce(NewAnnouncement(_next++, _now), _now);
            if (offer.Result is { } match && _matcher.RemovePendingAnswer(match.ConnectionId))
            {
                matched++;
            }
        }

        return matched;
    }

    internal static Matcher NewMatcher() => new(new MatcherOptions
    {
        MaxAnnouncements = 10_000_000,
        MaxRateLimitEntries = 20_000_000,
        OfferRateQuantity = int.MaxValue,
        OfferLimitEntryCount = int.MaxValue,
        AnnouncementRateQuantity = FewIps ? int.MaxValue : 50,
        AnnouncementLimitEntryCount = FewIps ? int.MaxValue : 50,
    });

    // FEWIPS=1: every peer from one of 1,000 IPs (per-IP state stays in cache), to show what per-IP state costs a match.
    private static readonly bool FewIps = Environment.GetEnvironmentVariable("FEWIPS") == "1";

    internal static OfferTicket NewOffer(int i, long now) =>
        new(CompartmentKind.Common, [Ids[i % Compartments]], NatTraversalClass.StrictlyLimited, 1, false, GeoKey.From("IR", 1), Key(int.MaxValue - (i % (FewIps ? 1000 : 1_000_000))), now + 10_000);

    internal static AnnouncementTicket NewAnnouncement(int i, long now) =>
        new(ProxyId(i), new CompartmentKey(CompartmentKind.Common, Ids[i % Compartments]), false, (NatTraversalClass)(i % 3), 1, GeoKey.From("DE", 3320), Key(FewIps ? i % 1000 : i), now + 120_000_000);

    // Distinct per announcement without a CSPRNG call each (filling 5 M would spend most of its time in OpenSSL).
    internal static Id32 ProxyId(int i)
    {
        Span<byte> bytes = stackalloc byte[Id32.Length];
        bytes.Fill(0x5A);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, i);
        return Id32.From(bytes);
    }

    internal static RateLimitKey Key(int i) =>
        RateLimitKey.From(new IPAddress([(byte)(1 + ((i >> 24) & 0x7F)), (byte)(i >> 16), (byte)(i >> 8), (byte)i]));
}
