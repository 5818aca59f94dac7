using System.Buffers.Binary;
using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>Sans-IO behaviour of one association pair on a manual clock.</summary>
public sealed class SctpAssociationTests
{
    private static byte[] Marked(byte mark)
    {
        byte[] b = new byte[700];
        b[0] = mark;
        return b;
    }

    private static byte[] Bytes(int n, int seed)
    {
        byte[] b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void Init_looks_like_Chromiums()
    {
        var pair = new SansIoPair();
        pair.A.Connect(pair.Now);
        byte[] buffer = new byte[1200];
        Assert.True(pair.A.TryWritePacket(buffer, pair.Now, out int n));
        byte[] init = buffer[..n];
        Assert.True(SctpCrc32c.Verify(init));
        Assert.Equal("13881388" + "00000000", Convert.ToHexStringLower(init.AsSpan(0, 8)));
        // browsers.md: chunk length 30; a_rwnd 5242880; 65535/65535 streams; Forward-TSN-Supported, then
        // Supported Extensions [RE-CONFIG, FORWARD-TSN]; no zero-checksum, no ECN, no AUTH.
        Assert.Equal(1, init[12]);
        Assert.Equal(30, BinaryPrimitives.ReadUInt16BigEndian(init.AsSpan(14)));
        Assert.Equal(5242880u, BinaryPrimitives.ReadUInt32BigEndian(init.AsSpan(20)));
        Assert.Equal("ffffffff", Convert.ToHexStringLower(init.AsSpan(24, 4)));
        Assert.Equal("c0000004" + "8008000682c0", Convert.ToHexStringLower(init.AsSpan(32, 10)));
        Assert.Equal(44, n);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Handshake_completes_with_and_without_init_collision(bool both)
    {
        var pair = new SansIoPair();
        pair.Connect(both);
        Assert.Equal(SctpState.Established, pair.A.State);
        Assert.Equal(SctpState.Established, pair.B.State);
        Assert.True(pair.HandlerA.Established && pair.HandlerB.Established);
        byte[] initAck = pair.Log.First(p => SansIoPair.HasChunk(p.Packet, SctpChunkType.InitAck)).Packet;
        // The state cookie is the first parameter and 48 bytes long, as with dcSCTP.
        Assert.Equal(SctpPacket.ParamStateCookie, BinaryPrimitives.ReadUInt16BigEndian(initAck.AsSpan(32)));
        Assert.Equal(52, BinaryPrimitives.ReadUInt16BigEndian(initAck.AsSpan(34)));
    }

    [Fact]
    public void Handshake_survives_lost_init_and_cookie_echo()
    {
        var pair = new SansIoPair();
        int dropped = 0;
        pair.Filter = (fromA, p) =>
        {
            bool handshake = fromA && (SansIoPair.HasChunk(p, SctpChunkType.Init) || SansIoPair.HasChunk(p, SctpChunkType.CookieEcho));
            bool drop = handshake && (dropped == 0 || (dropped == 1 && SansIoPair.HasChunk(p, SctpChunkType.CookieEcho)));
            dropped += drop ? 1 : 0;
            return !drop;
        };
        pair.Connect(both: false);
        Assert.Equal(SctpState.CookieWait, pair.A.State);
        pair.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(2, dropped);
        Assert.Equal(SctpState.Established, pair.A.State);
        Assert.Equal(SctpState.Established, pair.B.State);
    }

    [Fact]
    public void Forged_or_stale_cookies_are_refused()
    {
        var pair = new SansIoPair();
        pair.Filter = (fromA, p) =>
        {
            if (fromA && SansIoPair.HasChunk(p, SctpChunkType.CookieEcho))
            {
                p[30] ^= 1; // a cookie byte: the HMAC no longer matches
                SctpCrc32c.Seal(p);
            }

            return true;
        };
        pair.Connect(both: false);
        Assert.Equal(SctpState.Closed, pair.B.State);
        Assert.False(pair.HandlerB.Established);

        var stale = new SansIoPair();
        stale.Filter = (fromA, p) =>
        {
            if (fromA && SansIoPair.HasChunk(p, SctpChunkType.CookieEcho))
            {
                stale.Now += TimeSpan.FromSeconds(61);
            }

            return true;
        };
        stale.Connect(both: false);
        Assert.Equal(SctpState.Closed, stale.B.State);
    }

    [Fact]
    public void Packets_with_a_wrong_tag_or_checksum_are_dropped_and_counted()
    {
        var pair = new SansIoPair();
        pair.Connect();
        pair.A.Send(1, 53, Bytes(100, 1), default, pair.Now);
        byte[] buffer = new byte[1200];
        Assert.True(pair.A.TryWritePacket(buffer, pair.Now, out int n));
        byte[] good = buffer[..n];

        byte[] badCrc = (byte[])good.Clone();
        badCrc[^1] ^= 0xFF;
        byte[] badTag = (byte[])good.Clone();
        badTag[4] ^= 1;
        SctpCrc32c.Seal(badTag);
        long dropped = pair.B.Statistics.PacketsDropped;
        pair.B.HandlePacket(badCrc, pair.Now);
        pair.B.HandlePacket(badTag, pair.Now);
        Assert.Equal(dropped + 2, pair.B.Statistics.PacketsDropped);
        Assert.Empty(pair.HandlerB.Messages);
        pair.B.HandlePacket(good, pair.Now);
        Assert.Single(pair.HandlerB.Messages);
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    public void Zero_checksum_is_used_only_when_both_offer_it(bool a, bool b, bool expected)
    {
        var pair = new SansIoPair(new SctpOptions { OfferZeroChecksum = a }, new SctpOptions { OfferZeroChecksum = b });
        pair.Connect();
        pair.A.Send(1, 53, Bytes(3000, 2), default, pair.Now);
        pair.Pump();
        Assert.Equal(expected, pair.A.ZeroChecksumInUse);
        Assert.Equal(expected, pair.B.ZeroChecksumInUse);
        byte[] data = pair.Log.Last(p => p.FromA && SansIoPair.HasChunk(p.Packet, SctpChunkType.Data)).Packet;
        Assert.Equal(expected, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(8)) == 0);
        Assert.Equal(3000, pair.HandlerB.BytesReceived);
        // INIT and INIT-ACK always carry a real CRC-32C (RFC 9653 §5).
        Assert.All(pair.Log.Where(p => SansIoPair.HasChunk(p.Packet, SctpChunkType.Init) || SansIoPair.HasChunk(p.Packet, SctpChunkType.InitAck)), p => Assert.True(SctpCrc32c.Verify(p.Packet)));
    }

    [Fact]
    public void Unordered_messages_are_delivered_as_they_complete_and_ordered_ones_wait()
    {
        var pair = new SansIoPair();
        pair.Connect();
        bool dropFirst = true;
        pair.Filter = (fromA, p) => !(fromA && SansIoPair.HasChunk(p, SctpChunkType.Data) && dropFirst && !(dropFirst = false));
        // 700-byte messages: one per packet, so only the first is lost.
        pair.A.Send(1, 53, Marked(1), default, pair.Now);
        pair.A.Send(1, 53, Marked(2), default, pair.Now);
        pair.A.Send(2, 53, Marked(3), new SctpSendOptions { Unordered = true }, pair.Now);
        pair.Pump();
        Assert.Contains(pair.HandlerB.Messages, m => m.Data[0] == 3);
        pair.RunFor(TimeSpan.FromSeconds(3));
        Assert.Equal(new byte[] { 1, 2 }, pair.HandlerB.Messages.Where(m => m.Stream == 1).Select(m => m.Data[0]));
    }

    [Fact]
    public void Max_retransmits_zero_abandons_a_lost_message_and_forward_tsn_skips_it_on_an_ordered_stream()
    {
        var pair = new SansIoPair();
        pair.Connect();
        var options = new SctpSendOptions { MaxRetransmits = 0 };
        int dataPackets = 0;
        pair.Filter = (fromA, p) => !(fromA && SansIoPair.HasChunk(p, SctpChunkType.Data) && ++dataPackets == 1);
        byte[] lost = Bytes(3000, 3); // three fragments, the first packet is lost
        pair.A.Send(1, 53, lost, options, pair.Now);
        pair.A.Send(1, 53, [7], options, pair.Now);
        pair.A.Send(1, 53, [8], options, pair.Now);
        pair.Pump();
        pair.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal([7, 8], pair.HandlerB.Messages.Select(m => (int)m.Data[0]));
        Assert.All(pair.HandlerB.Messages, m => Assert.Single(m.Data));
        Assert.Equal(1, pair.A.Statistics.AbandonedMessages);
        Assert.Equal(0, pair.A.Statistics.Retransmissions);
        Assert.Contains(pair.Log, p => p.FromA && SansIoPair.HasChunk(p.Packet, SctpChunkType.ForwardTsn));
        Assert.Equal(0, pair.A.QueuedBytes);
        // The stream continues in order after the skip.
        pair.A.Send(1, 53, [9], default, pair.Now);
        pair.Pump();
        Assert.Equal(9, pair.HandlerB.Messages[^1].Data[0]);
    }

    [Fact]
    public void Lifetime_abandons_messages_that_could_not_be_delivered_in_time()
    {
        var pair = new SansIoPair();
        pair.Connect();
        pair.Filter = (fromA, p) => !(fromA && SansIoPair.HasChunk(p, SctpChunkType.Data) && pair.Now < TimeSpan.FromSeconds(12));
        var options = new SctpSendOptions { Unordered = true, Lifetime = TimeSpan.FromMilliseconds(300) };
        pair.A.Send(1, 53, [1], options, pair.Now);
        pair.A.Send(1, 53, [2], default, pair.Now); // reliable: must still arrive
        pair.Pump();
        pair.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal([2], pair.HandlerB.Messages.Select(m => (int)m.Data[0]));
        Assert.Equal(1, pair.A.Statistics.AbandonedMessages);
        Assert.True(pair.A.Statistics.Retransmissions >= 1);
    }

    [Fact]
    public void Slow_start_grows_the_window_and_a_timeout_collapses_it_to_one_mtu()
    {
        var pair = new SansIoPair(new SctpOptions { AckEveryPackets = 1 });
        pair.Connect();
        int initial = pair.A.CongestionWindow;
        Assert.Equal(4404, initial); // min(4·MTU, max(2·MTU, 4404)), RFC 9260 §7.2.1
        for (int i = 0; i < 50; i++)
        {
            pair.A.Send(1, 53, Bytes(1000, i), default, pair.Now);
        }

        pair.PumpBursts();
        Assert.True(pair.A.CongestionWindow > initial * 2, $"cwnd {pair.A.CongestionWindow}");
        Assert.Equal(50, pair.HandlerB.Messages.Count);

        pair.Filter = (fromA, _) => !fromA; // B hears nothing: T3 fires
        pair.A.Send(1, 53, Bytes(1000, 99), default, pair.Now);
        pair.Pump();
        pair.Step(TimeSpan.FromSeconds(5));
        Assert.Equal(1200, pair.A.CongestionWindow);
        Assert.Equal(1, pair.A.Statistics.T3Expirations);
    }

    [Fact]
    public void Sacks_handled_back_to_back_each_grow_the_window_in_slow_start()
    {
        // A received burst of SACKs is handled before anything is sent again, so the flight shrinks from one SACK
        // to the next; each must still count, or a peer that acknowledges every second packet (as browsers do)
        // holds the sender's slow start to one MTU per burst.
        var pair = new SansIoPair(new SctpOptions { AckEveryPackets = 1 }, new SctpOptions { AckEveryPackets = 1 });
        pair.Connect();
        for (int i = 0; i < 50; i++)
        {
            pair.A.Send(1, 53, Bytes(1000, i), default, pair.Now);
        }

        byte[] buffer = new byte[1200];
        var window = new List<byte[]>();
        while (pair.A.TryWritePacket(buffer, pair.Now, out int n))
        {
            window.Add(buffer.AsSpan(0, n).ToArray());
        }

        var sacks = new List<byte[]>();
        foreach (byte[] packet in window)
        {
            pair.B.HandlePacket(packet, pair.Now);
            while (pair.B.TryWritePacket(buffer, pair.Now, out int n))
            {
                sacks.Add(buffer.AsSpan(0, n).ToArray());
            }
        }

        int before = pair.A.CongestionWindow;
        foreach (byte[] sack in sacks)
        {
            pair.A.HandlePacket(sack, pair.Now);
        }

        Assert.Equal(window.Count, sacks.Count);
        Assert.True(sacks.Count >= 4, $"{sacks.Count} packets in the first window");
        Assert.Equal(before + (sacks.Count * 1000), pair.A.CongestionWindow); // min(bytes acked, MTU) per SACK
    }

    [Fact]
    public void Three_missing_reports_trigger_one_fast_retransmit_and_halve_the_window()
    {
        var pair = new SansIoPair(new SctpOptions { AckEveryPackets = 1 });
        pair.Connect();
        for (int i = 0; i < 40; i++)
        {
            pair.A.Send(1, 53, Bytes(1100, i), default, pair.Now);
        }

        pair.Pump();
        int before = pair.A.CongestionWindow;
        int sent = 0;
        pair.Filter = (fromA, p) => !(fromA && SansIoPair.HasChunk(p, SctpChunkType.Data) && ++sent == 2);
        for (int i = 0; i < 20; i++)
        {
            pair.A.Send(1, 53, Bytes(1100, 100 + i), default, pair.Now);
        }

        pair.Pump();
        Assert.Equal(1, pair.A.Statistics.FastRetransmits);
        Assert.Equal(0, pair.A.Statistics.T3Expirations);
        Assert.Equal(Math.Max(before / 2, 4 * 1200), pair.A.CongestionWindow);
        Assert.Equal(60, pair.HandlerB.Messages.Count);
    }

    [Fact]
    public void A_reader_that_does_not_read_closes_the_window_and_holds_memory_to_it()
    {
        var pair = new SansIoPair(null, new SctpOptions { ReceiveWindow = 20_000 });
        pair.HandlerB.Release = false;
        pair.Connect();
        for (int i = 0; i < 100; i++)
        {
            pair.A.Send(1, 53, Bytes(1000, i), default, pair.Now);
        }

        pair.Pump();
        pair.RunFor(TimeSpan.FromSeconds(20)); // zero-window probes, T3 backoff
        Assert.InRange(pair.HandlerB.BytesReceived, 19_000, 21_000);
        Assert.Equal(0, pair.B.AdvertisedWindow);
        Assert.Equal(SctpState.Established, pair.A.State);

        pair.HandlerB.Release = true;
        pair.B.ReleaseReceived((int)pair.HandlerB.BytesReceived); // the reader catches up: window update
        pair.Pump();
        pair.RunFor(TimeSpan.FromSeconds(30));
        Assert.Equal(100_000, pair.HandlerB.BytesReceived);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => Bytes(1000, i)), pair.HandlerB.Messages.Select(m => m.Data));
    }

    [Fact]
    public void Heartbeats_run_on_an_idle_path_and_a_dead_peer_is_detected()
    {
        var pair = new SansIoPair();
        pair.Connect();
        pair.RunFor(TimeSpan.FromSeconds(31));
        Assert.Contains(pair.Log, p => SansIoPair.HasChunk(p.Packet, SctpChunkType.Heartbeat));
        Assert.Contains(pair.Log, p => SansIoPair.HasChunk(p.Packet, SctpChunkType.HeartbeatAck));
        Assert.Equal(SctpState.Established, pair.A.State);

        pair.Filter = (_, _) => false;
        pair.RunFor(TimeSpan.FromMinutes(10));
        Assert.Equal(SctpState.Closed, pair.A.State);
        Assert.Equal(SctpError.Timeout, pair.HandlerA.Closed?.Error);
    }

    [Fact]
    public void Shutdown_waits_for_data_then_closes_both_sides_cleanly()
    {
        var pair = new SansIoPair();
        pair.Connect();
        pair.A.Send(1, 53, Bytes(5000, 4), default, pair.Now);
        pair.A.Shutdown(pair.Now);
        pair.Pump();
        pair.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(5000, pair.HandlerB.BytesReceived);
        Assert.Equal(SctpState.Closed, pair.A.State);
        Assert.Equal(SctpState.Closed, pair.B.State);
        Assert.Equal(SctpError.None, pair.HandlerA.Closed?.Error);
        Assert.Equal(SctpError.None, pair.HandlerB.Closed?.Error);
        Assert.Contains(pair.Log, p => SansIoPair.HasChunk(p.Packet, SctpChunkType.ShutdownComplete));
    }

    [Fact]
    public void Abort_sends_cause_12_close_called_like_browsers()
    {
        var pair = new SansIoPair();
        pair.Connect();
        pair.A.Abort("Close called");
        pair.Pump();
        byte[] abort = pair.Log.Last().Packet;
        Assert.Equal(6, abort[12]);
        Assert.Equal("000c0010436c6f73652063616c6c6564", Convert.ToHexStringLower(abort.AsSpan(16, 16)));
        Assert.Equal(SctpError.PeerAborted, pair.HandlerB.Closed?.Error);
        Assert.Contains("Close called", pair.HandlerB.Closed?.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Stream_reset_waits_for_earlier_data_and_restarts_sequence_numbers()
    {
        var pair = new SansIoPair();
        pair.Connect();
        bool dropOnce = true;
        pair.Filter = (fromA, p) => !(fromA && SansIoPair.HasChunk(p, SctpChunkType.Data) && dropOnce && !(dropOnce = false));
        pair.A.Send(1, 53, [1], default, pair.Now);
        pair.Pump();
        pair.A.ResetStreams([1], pair.Now);
        pair.Pump();
        Assert.Empty(pair.HandlerB.IncomingResets); // in progress: TSN of [1] not yet received
        pair.RunFor(TimeSpan.FromSeconds(3));
        Assert.Equal([1], pair.HandlerB.Messages.Select(m => (int)m.Data[0]));
        Assert.Equal([(ushort)1], pair.HandlerB.IncomingResets);
        Assert.Equal([(ushort)1], pair.HandlerA.OutgoingResets);
        pair.A.Send(1, 53, [2], default, pair.Now); // SSN 0 again, delivered because B reset too
        pair.Pump();
        Assert.Equal([1, 2], pair.HandlerB.Messages.Select(m => (int)m.Data[0]));
    }
}
