using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Inroad.WebRtc.Ice;

/// <summary>
/// The Linux UDP calls .NET's <see cref="Socket"/> does not expose: <c>recvmsg</c> with the UDP_GRO control
/// message (the kernel hands several same-sized datagrams from one sender over in one call and says the
/// segment size in a cmsg that <see cref="Socket.Receive(Span{byte})"/> drops), and <c>sendmsg</c> with
/// UDP_SEGMENT (GSO: one call sends up to 64 equal datagrams, the last may be shorter). One instance per
/// socket and direction; every buffer is pinned once, so a call allocates nothing. 64-bit Linux only
/// (<see cref="IsSupported"/>); callers fall back to the <see cref="Socket"/> API elsewhere.
/// </summary>
internal sealed class LinuxUdp
{
    public const int MaxSegments = 64;
    public const int MaxBatchBytes = 65000; // UDP payload of one GSO call must stay below 65,507 (IPv4) / 65,527 (IPv6)
    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    private const int UdpGro = 104;
    private const int MsgDontWait = 0x40;
    private const int Eagain = 11;
    private const int Eintr = 4;
    private const short PollIn = 0x001;
    private const short PollOut = 0x004;
    public const int ErrorWouldBlock = Eagain;
    private const int AfInet = 2;
    private const int AfInet6 = 10;
    private const int ControlSize = 64;

    private readonly Socket _socket;
    private readonly byte[] _data;
    private readonly byte[] _name = GC.AllocateArray<byte>(128, pinned: true);
    private readonly byte[] _control = GC.AllocateArray<byte>(ControlSize, pinned: true);
    private readonly IoVec[] _iov = GC.AllocateArray<IoVec>(1, pinned: true);
    private readonly PollFd[] _poll = new PollFd[1];
    private readonly nint _dataAddress;
    private readonly nint _nameAddress;
    private readonly nint _controlAddress;
    private readonly nint _iovAddress;

    public LinuxUdp(Socket socket, int bufferSize)
    {
        _socket = socket;
        _data = GC.AllocateArray<byte>(bufferSize, pinned: true);
        _dataAddress = Marshal.UnsafeAddrOfPinnedArrayElement(_data, 0);
        _nameAddress = Marshal.UnsafeAddrOfPinnedArrayElement(_name, 0);
        _controlAddress = Marshal.UnsafeAddrOfPinnedArrayElement(_control, 0);
        _iovAddress = Marshal.UnsafeAddrOfPinnedArrayElement(_iov, 0);
    }

    /// <summary>64-bit Linux (the structure layouts below are the LP64 ones).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>The pinned buffer: received datagrams land here, and batches to send are copied here.</summary>
    public Span<byte> Buffer => _data;

    /// <summary>Length of the source address of the last receive in <see cref="SourceAddress"/>.</summary>
    public int SourceAddressLength { get; private set; }

    /// <summary>The raw <c>sockaddr</c> of the last receive.</summary>
    public ReadOnlySpan<byte> SourceAddress => _name.AsSpan(0, SourceAddressLength);

    /// <summary>Asks the kernel to coalesce received datagrams (UDP_GRO). False when the kernel refuses.</summary>
    public static bool TryEnableGro(Socket socket) => TrySetUdpOption(socket, UdpGro, 1);

    /// <summary>True when the kernel accepts UDP_SEGMENT on this socket (probing with segment size 0 disables it again).</summary>
    public static bool ProbeGso(Socket socket) => TrySetUdpOption(socket, UdpSegment, 1200) && TrySetUdpOption(socket, UdpSegment, 0);

    private static bool TrySetUdpOption(Socket socket, int option, int value)
    {
        try
        {
            Span<byte> v = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(v, value);
            if (!BitConverter.IsLittleEndian)
            {
                v.Reverse();
            }

            socket.SetRawSocketOption(SolUdp, option, v);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> for the socket to become readable. False on timeout
    /// or when the socket is gone.
    /// </summary>
    public bool WaitReadable(int timeoutMilliseconds) => Wait(PollIn, timeoutMilliseconds);

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for room in the socket's send buffer.</summary>
    public bool WaitWritable(int timeoutMilliseconds) => Wait(PollOut, timeoutMilliseconds);

    private bool Wait(short events, int timeoutMilliseconds)
    {
        bool added = false;
        SafeHandle handle = _socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            _poll[0] = new PollFd { Fd = (int)handle.DangerousGetHandle(), Events = events };
            int r = Native.poll(_poll, 1, timeoutMilliseconds);
            return r > 0 && (_poll[0].Revents & events) != 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// One non-blocking <c>recvmsg</c> into <see cref="Buffer"/>. Returns the byte count (datagrams of
    /// <paramref name="segmentSize"/> back to back, the last may be shorter; <paramref name="segmentSize"/> is the
    /// whole length when the kernel did not coalesce), 0 when nothing is queued, -1 when the socket is unusable.
    /// </summary>
    public int Receive(out int segmentSize)
    {
        segmentSize = 0;
        bool added = false;
        SafeHandle handle = _socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            _iov[0] = new IoVec { Base = _dataAddress, Length = (nuint)_data.Length };
            var msg = new MsgHdr
            {
                Name = _nameAddress,
                NameLength = (uint)_name.Length,
                Iov = _iovAddress,
                IovLength = 1,
                Control = _controlAddress,
                ControlLength = ControlSize,
            };
            while (true)
            {
                nint n = Native.recvmsg((int)handle.DangerousGetHandle(), ref msg, MsgDontWait);
                if (n >= 0)
                {
                    SourceAddressLength = (int)msg.NameLength;
                    segmentSize = ReadGroSegment((int)msg.ControlLength) is int s and > 0 ? s : (int)n;
                    return (int)n;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                {
                    continue;
                }

                return errno == Eagain ? 0 : -1;
            }
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private int ReadGroSegment(int controlLength)
    {
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; data }, 8-byte aligned (LP64)
        int offset = 0;
        while (offset + 16 <= controlLength)
        {
            long length = BitConverter.ToInt64(_control, offset);
            int level = BitConverter.ToInt32(_control, offset + 8);
            int type = BitConverter.ToInt32(_control, offset + 12);
            if (length < 16 || offset + length > controlLength)
            {
                return 0;
            }

            if (level == SolUdp && type == UdpGro && length >= 20)
            {
                return BitConverter.ToInt32(_control, offset + 16);
            }

            offset += (int)((length + 7) & ~7L);
        }

        return 0;
    }

    /// <summary>
    /// Sends <paramref name="length"/> bytes of <see cref="Buffer"/> to <paramref name="destination"/> (a raw
    /// sockaddr) as datagrams of <paramref name="segmentSize"/> (GSO) — or as one datagram when it is 0.
    /// Returns 0 on success or the errno.
    /// </summary>
    public int Send(int length, int segmentSize, ReadOnlySpan<byte> destination)
    {
        bool added = false;
        SafeHandle handle = _socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            destination.CopyTo(_name);
            _iov[0] = new IoVec { Base = _dataAddress, Length = (nuint)length };
            int controlLength = 0;
            if (segmentSize > 0)
            {
                // CMSG_LEN(sizeof(u16)) = 18, the kernel insists on exactly that; CMSG_SPACE = 24
                Array.Clear(_control, 0, 24);
                BitConverter.TryWriteBytes(_control.AsSpan(0), 18L);
                BitConverter.TryWriteBytes(_control.AsSpan(8), SolUdp);
                BitConverter.TryWriteBytes(_control.AsSpan(12), UdpSegment);
                BitConverter.TryWriteBytes(_control.AsSpan(16), (ushort)segmentSize);
                controlLength = 24;
            }

            var msg = new MsgHdr
            {
                Name = _nameAddress,
                NameLength = (uint)destination.Length,
                Iov = _iovAddress,
                IovLength = 1,
                Control = controlLength == 0 ? 0 : _controlAddress,
                ControlLength = (nuint)controlLength,
            };
            while (true)
            {
                nint n = Native.sendmsg((int)handle.DangerousGetHandle(), ref msg, MsgDontWait);
                if (n >= 0)
                {
                    return 0;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr)
                {
                    return errno;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return 9; // EBADF
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Writes <paramref name="endPoint"/> as a raw sockaddr for a socket of <paramref name="family"/> (v4 mapped into a v6 socket).</summary>
    public static int WriteSockAddr(IPEndPoint endPoint, AddressFamily family, Span<byte> destination)
    {
        destination.Clear();
        if (family == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(destination, (ushort)AfInet);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
            endPoint.Address.MapToIPv4().TryWriteBytes(destination[4..8], out _);
            return 16;
        }

        BitConverter.TryWriteBytes(destination, (ushort)AfInet6);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
        IPAddress a = endPoint.Address.AddressFamily == AddressFamily.InterNetwork ? endPoint.Address.MapToIPv6() : endPoint.Address;
        a.TryWriteBytes(destination[8..24], out _);
        BitConverter.TryWriteBytes(destination[24..], (uint)a.ScopeId);
        return 28;
    }

    /// <summary>True when two raw sockaddrs name the same address and port (flow label and scope aside).</summary>
    public static bool SameAddress(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length < 8 || a.Length != b.Length || a[0] != b[0] || a[1] != b[1])
        {
            return false;
        }

        return a.Length >= 24
            ? a.Slice(2, 2).SequenceEqual(b.Slice(2, 2)) && a.Slice(8, 16).SequenceEqual(b.Slice(8, 16))
            : a.Slice(2, 6).SequenceEqual(b.Slice(2, 6));
    }

    /// <summary>Reads a raw sockaddr (AF_INET or AF_INET6) as an endpoint; null for anything else.</summary>
    public static IPEndPoint? ReadSockAddr(ReadOnlySpan<byte> address)
    {
        if (address.Length < 8)
        {
            return null;
        }

        int family = BitConverter.ToUInt16(address);
        int port = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        if (family == AfInet && address.Length >= 16)
        {
            return new IPEndPoint(new IPAddress(address[4..8]), port);
        }

        if (family == AfInet6 && address.Length >= 28)
        {
            return new IPEndPoint(new IPAddress(address[8..24], BitConverter.ToUInt32(address[24..])), port);
        }

        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public nint Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public nint Name;
        public uint NameLength;
        public nint Iov;
        public nuint IovLength;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

#pragma warning disable CA1401, SYSLIB1054, CA5392 // private P/Invokes; LibraryImport would need unsafe blocks (disallowed)
    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern nint recvmsg(int fd, ref MsgHdr msg, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern nint sendmsg(int fd, ref MsgHdr msg, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int poll([In, Out] PollFd[] fds, nuint count, int timeout);
    }
#pragma warning restore CA1401, SYSLIB1054, CA5392
}
