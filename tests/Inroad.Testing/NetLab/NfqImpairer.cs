using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Inroad.Testing.NetLab;

/// <summary>
/// Fixed delay and seeded random loss on one lab interface, for throughput work: the kernel has no netem, and
/// <c>netlab-impair.py</c> (one verdict per packet) caps a link near 60–110 Mbit/s. This one runs in the calling
/// process on two dedicated threads over an nfnetlink_queue socket opened in the router's namespace: metadata-only
/// copies, a 32 MiB socket buffer, a DROP verdict for each lost packet on arrival, and one <i>batch</i> verdict
/// ("accept every queued id ≤ N") per release, which is exact because a fixed delay keeps arrival order. No jitter
/// for the same reason. Packets reach it through <c>iptables -t mangle … -j NFQUEUE --queue-bypass</c> on the
/// interface's PREROUTING (inbound) and POSTROUTING (outbound); <see cref="DisposeAsync"/> removes the rules, then
/// releases everything still held.
/// </summary>
public sealed partial class NfqImpairer : IAsyncDisposable
{
    private const int AfNetlink = 16, SockRaw = 3, NetlinkNetfilter = 12, SolSocket = 1, SoRcvbufForce = 33, SoRcvtimeo = 20;
    private const int SolNetlink = 270, NetlinkNoEnobufs = 5, Eintr = 4, Eagain = 11, Enobufs = 105;
    private const ushort QueueSubsys = 3 << 8, MsgPacket = QueueSubsys | 0, MsgVerdict = QueueSubsys | 1, MsgConfig = QueueSubsys | 2, MsgVerdictBatch = QueueSubsys | 3;
    private const ushort FlagRequest = 1, FlagAck = 4, NlmsgError = 2;
    private const uint Drop = 0, Accept = 1;
    private const string Chain = "INROAD_NFQ";

    private readonly NetLab _lab;
    private readonly string _host;
    private readonly string _iface;
    private readonly ushort _queue;
    private readonly long _delayTicks;
    private readonly double _loss;
    private readonly Random _random;
    private readonly int _fd;
    private readonly Queue<(long Due, uint Id)> _held = new();
    private readonly object _gate = new();
    private readonly byte[] _verdict = new byte[32];
    private readonly Thread _receiver;
    private readonly Thread _releaser;
    private volatile bool _stopping;
    private long _accepted, _dropped;
    private int _receiverTid, _releaserTid;

    private NfqImpairer(NetLab lab, string host, string iface, ushort queue, int delayMs, double lossPercent, int seed, int fd)
    {
        _lab = lab;
        _host = host;
        _iface = iface;
        _queue = queue;
        _delayTicks = delayMs * Stopwatch.Frequency / 1000;
        _loss = lossPercent / 100;
        _random = new Random(seed);
        _fd = fd;
        _receiver = new Thread(Receive) { IsBackground = true, Name = "nfq receive" };
        _releaser = new Thread(Release) { IsBackground = true, Name = "nfq release" };
    }

    /// <summary>Packets accepted (released after the delay) so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Packets dropped (the loss) so far.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>CPU seconds of the impairer's two threads so far (from <c>/proc/self/task</c>).</summary>
    public double CpuSeconds => ProcCpu.Seconds(Environment.ProcessId, _receiverTid) + ProcCpu.Seconds(Environment.ProcessId, _releaserTid);

    /// <summary>
    /// Impairs <paramref name="iface"/> of <paramref name="host"/> in both directions: each packet is dropped with
    /// probability <paramref name="lossPercent"/> % (seeded) or released <paramref name="delayMs"/> later.
    /// Needs root and <c>iptables</c> (xt NFQUEUE target).
    /// </summary>
    public static async Task<NfqImpairer> StartAsync(NetLab lab, string host, string iface, int delayMs, double lossPercent, int seed, CancellationToken ct, ushort queue = 41)
    {
        ArgumentNullException.ThrowIfNull(lab);
        Prerequisites.RequireCommand("iptables", "iptables");
        int fd = lab.RunIn(host, () => Open(queue));
        var impairer = new NfqImpairer(lab, host, iface, queue, delayMs, lossPercent, seed, fd);
        impairer._receiver.Start();
        impairer._releaser.Start();
        try
        {
            string q = queue.ToString(CultureInfo.InvariantCulture);
            foreach (string[] rule in (string[][])[
                ["-t", "mangle", "-N", Chain],
                ["-t", "mangle", "-A", Chain, "-j", "NFQUEUE", "--queue-num", q, "--queue-bypass"],
                ["-t", "mangle", "-I", "PREROUTING", "-i", iface, "-j", Chain],
                ["-t", "mangle", "-I", "POSTROUTING", "-o", iface, "-j", Chain]])
            {
                ProcessResult r = await lab.ExecAsync(host, ["iptables", .. rule], TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
                if (r.ExitCode != 0)
                {
                    throw new InvalidOperationException("iptables failed: " + r);
                }
            }

            return impairer;
        }
        catch
        {
            await impairer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Removes the rules, releases every held packet and closes the queue.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (string[] rule in (string[][])[
            ["-t", "mangle", "-D", "PREROUTING", "-i", _iface, "-j", Chain],
            ["-t", "mangle", "-D", "POSTROUTING", "-o", _iface, "-j", Chain],
            ["-t", "mangle", "-F", Chain],
            ["-t", "mangle", "-X", Chain]])
        {
            try
            {
                await _lab.ExecAsync(_host, ["iptables", .. rule], TimeSpan.FromSeconds(20), CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                break; // the lab is gone, and its namespaces with it
            }
        }

        _stopping = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        _releaser.Join();
        _receiver.Join();
        _ = Native.close(_fd);
    }

    /// <summary>One line: accepted/dropped counts and CPU.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"nfq queue {_queue}: accepted {Accepted}, dropped {Dropped}, CPU {CpuSeconds:F2} s");

    private static int Open(ushort queue)
    {
        int fd = Native.socket(AfNetlink, SockRaw, NetlinkNetfilter);
        if (fd < 0)
        {
            throw new InvalidOperationException($"netlink socket: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            _ = Native.setsockopt(fd, SolSocket, SoRcvbufForce, BitConverter.GetBytes(32 << 20), 4);
            _ = Native.setsockopt(fd, SolNetlink, NetlinkNoEnobufs, BitConverter.GetBytes(1), 4);
            byte[] timeout = new byte[16]; // struct timeval { 0 s, 100,000 µs }: lets the receive thread see a stop
            BinaryPrimitives.WriteInt64LittleEndian(timeout.AsSpan(8), 100_000);
            _ = Native.setsockopt(fd, SolSocket, SoRcvtimeo, timeout, timeout.Length);
            if (Native.bind(fd, NetlinkAddress(), 12) != 0)
            {
                throw new InvalidOperationException($"netlink bind: errno {Marshal.GetLastPInvokeError()}");
            }

            Configure(fd, Message(MsgConfig, FlagRequest | FlagAck, queue, Attribute(1, [1, 0, 0, 0]))); // NFQA_CFG_CMD bind
            byte[] parameters = new byte[5];
            parameters[4] = 1; // NFQNL_COPY_META: ids only, no payload copies
            byte[] maxlen = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(maxlen, 65536);
            Configure(fd, Message(MsgConfig, FlagRequest | FlagAck, queue, [.. Attribute(2, parameters), .. Attribute(3, maxlen)]));
            return fd;
        }
        catch
        {
            _ = Native.close(fd);
            throw;
        }
    }

    private static void Configure(int fd, byte[] message)
    {
        if (Native.sendto(fd, message, message.Length, 0, NetlinkAddress(), 12) < 0)
        {
            throw new InvalidOperationException($"netlink send: errno {Marshal.GetLastPInvokeError()}");
        }

        byte[] reply = new byte[8192];
        int n = Native.recv(fd, reply, reply.Length, 0);
        if (n >= 20 && BinaryPrimitives.ReadUInt16LittleEndian(reply.AsSpan(4)) == NlmsgError)
        {
            int error = BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(16));
            if (error != 0)
            {
                throw new InvalidOperationException($"nfqueue config failed: errno {-error} (another impairer on this queue?)");
            }
        }
    }

    private static byte[] NetlinkAddress()
    {
        byte[] a = new byte[12]; // struct sockaddr_nl { AF_NETLINK, pad, pid 0, groups 0 }
        a[0] = AfNetlink;
        return a;
    }

    private static byte[] Attribute(ushort type, byte[] value)
    {
        byte[] a = new byte[(4 + value.Length + 3) & ~3];
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(2), type);
        value.CopyTo(a, 4);
        return a;
    }

    private static byte[] Message(ushort type, ushort flags, ushort queue, byte[] attributes)
    {
        byte[] m = new byte[20 + attributes.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)m.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(18), queue); // nfgenmsg: AF_UNSPEC, version 0, res_id
        attributes.CopyTo(m, 20);
        return m;
    }

    // Called from both threads under _gate (one reusable buffer).
    private void SendVerdict(ushort type, uint verdict, uint id)
    {
        Span<byte> m = _verdict;
        BinaryPrimitives.WriteUInt32LittleEndian(m, 32);
        BinaryPrimitives.WriteUInt16LittleEndian(m[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(m[6..], FlagRequest);
        BinaryPrimitives.WriteUInt16BigEndian(m[18..], _queue);
        BinaryPrimitives.WriteUInt16LittleEndian(m[20..], 12); // NFQA_VERDICT_HDR { verdict, id } big-endian
        BinaryPrimitives.WriteUInt16LittleEndian(m[22..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(m[24..], verdict);
        BinaryPrimitives.WriteUInt32BigEndian(m[28..], id);
        byte[] address = NetlinkAddress();
        while (Native.sendto(_fd, _verdict, 32, 0, address, 12) < 0 && Marshal.GetLastPInvokeError() == Eintr)
        {
        }
    }

    private void Receive()
    {
        _receiverTid = Native.gettid();
        byte[] buffer = new byte[1 << 20];
        while (!_stopping)
        {
            int n = Native.recv(_fd, buffer, buffer.Length, 0);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Eintr or Eagain or Enobufs)
                {
                    continue;
                }

                return;
            }

            long now = Stopwatch.GetTimestamp();
            for (int off = 0; off + 16 <= n;)
            {
                int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(off));
                if (length < 16 || off + length > n)
                {
                    break;
                }

                if (BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(off + 4)) == MsgPacket && PacketId(buffer.AsSpan(off, length)) is { } id)
                {
                    lock (_gate)
                    {
                        if (_loss > 0 && _random.NextDouble() < _loss)
                        {
                            SendVerdict(MsgVerdict, Drop, id);
                            _dropped++;
                        }
                        else
                        {
                            _held.Enqueue((now + _delayTicks, id));
                            if (_held.Count == 1)
                            {
                                Monitor.Pulse(_gate);
                            }
                        }
                    }
                }

                off += (length + 3) & ~3;
            }
        }
    }

    private static uint? PacketId(ReadOnlySpan<byte> message)
    {
        for (int a = 20; a + 4 <= message.Length;)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(message[a..]);
            int type = BinaryPrimitives.ReadUInt16LittleEndian(message[(a + 2)..]) & 0x7fff;
            if (length < 4)
            {
                return null;
            }

            if (type == 1 && length >= 8 && a + 8 <= message.Length) // NFQA_PACKET_HDR { id (BE), hw_protocol, hook }
            {
                return BinaryPrimitives.ReadUInt32BigEndian(message[(a + 4)..]);
            }

            a += (length + 3) & ~3;
        }

        return null;
    }

    private void Release()
    {
        _releaserTid = Native.gettid();
        lock (_gate)
        {
            while (true)
            {
                if (_held.Count == 0)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    Monitor.Wait(_gate);
                    continue;
                }

                long now = Stopwatch.GetTimestamp();
                long wait = _held.Peek().Due - now;
                if (wait > 0 && !_stopping)
                {
                    // Whole milliseconds, rounded up: every packet is held delay + [0, 1) ms, released in batches.
                    Monitor.Wait(_gate, (int)Math.Max(1, ((wait * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency));
                    continue;
                }

                uint last = 0;
                int released = 0;
                while (_held.Count > 0 && (_stopping || _held.Peek().Due <= now))
                {
                    last = _held.Dequeue().Id;
                    released++;
                }

                SendVerdict(MsgVerdictBatch, Accept, last);
                _accepted += released;
            }
        }
    }

    private static class Native
    {
#pragma warning disable CA1401, SYSLIB1054 // private P/Invokes; LibraryImport would need unsafe blocks (disallowed)
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int socket(int domain, int type, int protocol);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int setsockopt(int fd, int level, int name, byte[] value, int length);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int bind(int fd, byte[] address, int length);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int sendto(int fd, byte[] buffer, nint length, int flags, byte[] address, int addressLength);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int recv(int fd, byte[] buffer, nint length, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int close(int fd);

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int gettid();
#pragma warning restore CA1401, SYSLIB1054
    }
}
