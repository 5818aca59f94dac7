using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Inroad.Testing;

namespace Inroad.WebRtc.Tests.Dtls;

/// <summary>Reads the browser captures in ../shared/reference/webrtc (pcapng, Ethernet/IPv4/UDP) and the shared vectors.</summary>
internal static class BrowserCaptures
{
    public static string? SharedDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Inroad.sln")))
            {
                string shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(shared) ? shared : null;
            }
        }

        return null;
    }

    /// <summary>The UDP payloads of a capture in order; skips (or fails under CI) when the shared folder is absent.</summary>
    public static List<byte[]> UdpPayloads(string captureName)
    {
        string? shared = SharedDirectory();
        string path = shared is null ? string.Empty : Path.Combine(shared, "reference", "webrtc", captureName);
        if (!File.Exists(path))
        {
            Prerequisites.Missing($"browser capture {captureName} (../shared/reference/webrtc)");
        }

        byte[] file = File.ReadAllBytes(path);
        var payloads = new List<byte[]>();
        int at = 0;
        while (at + 12 <= file.Length)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at));
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
            if (length < 12 || at + length > file.Length)
            {
                break;
            }

            if (type == 6)
            {
                int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 20));
                var frame = file.AsSpan(at + 28, captured);
                if (frame.Length > 34 && frame[12] == 0x08 && frame[13] == 0x00 && frame[23] == 17)
                {
                    int ihl = (frame[14] & 0x0f) * 4;
                    var udp = frame[(14 + ihl)..];
                    int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
                    payloads.Add(udp[8..udpLength].ToArray());
                }
            }

            at += length;
        }

        return payloads;
    }

    /// <summary>The datagrams that carry the first (complete) ClientHello of a capture, with the reassembled body.</summary>
    public static (byte[][] Datagrams, byte[] Body) FirstClientHello(string captureName)
    {
        var dtls = UdpPayloads(captureName).Where(p => p.Length > 0 && p[0] is >= 20 and <= 63).ToList();
        var used = new List<byte[]>();
        foreach (var datagram in dtls)
        {
            if (!DtlsWireHelpers.IsClientHelloFragment(datagram))
            {
                continue;
            }

            used.Add(datagram);
            byte[]? body = Inroad.WebRtc.Dtls.DtlsWire.ReassembleHandshake(used, 1);
            if (body is not null)
            {
                return ([.. used], body);
            }
        }

        throw new InvalidOperationException($"No ClientHello in {captureName}.");
    }

#pragma warning disable CA5351 // JA3 is defined over MD5; this is fingerprinting, not security.
    public static string Md5Hex(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(text)));
#pragma warning restore CA5351
}

internal static class DtlsWireHelpers
{
    public static bool IsClientHelloFragment(byte[] datagram) =>
        Inroad.WebRtc.Dtls.DtlsWire.TryReadRecord(datagram, out var record, out _)
        && record.ContentType == 22 && record.Epoch == 0 && datagram.Length > 13 && datagram[13] == 1;
}
