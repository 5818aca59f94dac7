using System.Buffers.Binary;
using System.Net;
using System.Text;
using Inroad.Tunnel;

namespace Inroad.Client.LocalProxy;

/// <summary>The server side of a SOCKS5 (RFC 1928) CONNECT handshake, no authentication.</summary>
internal static class Socks5Handshake
{
    public const byte Succeeded = 0x00;
    public const byte GeneralFailure = 0x01;
    public const byte NotAllowedByRuleset = 0x02;
    public const byte HostUnreachable = 0x04;
    public const byte ConnectionRefused = 0x05;
    public const byte CommandNotSupported = 0x07;
    public const byte AddressTypeNotSupported = 0x08;

    /// <summary>Reads the greeting and request; returns the target "host:port", or null after answering an error.</summary>
    public static async ValueTask<string?> ReadRequestAsync(Stream client, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[262];
        await client.ReadExactlyAsync(buffer.AsMemory(0, 2), cancellationToken).ConfigureAwait(false);
        if (buffer[0] != 5 || buffer[1] == 0)
        {
            return null;
        }

        int methods = buffer[1];
        await client.ReadExactlyAsync(buffer.AsMemory(0, methods), cancellationToken).ConfigureAwait(false);
        if (Array.IndexOf(buffer, (byte)0, 0, methods) < 0)
        {
            await client.WriteAsync(new byte[] { 5, 0xFF }, cancellationToken).ConfigureAwait(false);
            return null;
        }

        await client.WriteAsync(new byte[] { 5, 0 }, cancellationToken).ConfigureAwait(false);
        await client.ReadExactlyAsync(buffer.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
        byte command = buffer[1];
        byte addressType = buffer[3];
        if (buffer[0] != 5)
        {
            return null;
        }

        string host;
        switch (addressType)
        {
            case 1:
                await client.ReadExactlyAsync(buffer.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
                host = new IPAddress(buffer.AsSpan(0, 4)).ToString();
                break;
            case 4:
                await client.ReadExactlyAsync(buffer.AsMemory(0, 16), cancellationToken).ConfigureAwait(false);
                host = "[" + new IPAddress(buffer.AsSpan(0, 16)) + "]";
                break;
            case 3:
                await client.ReadExactlyAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false);
                int length = buffer[0];
                await client.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                host = Encoding.ASCII.GetString(buffer, 0, length);
                break;
            default:
                await ReplyAsync(client, AddressTypeNotSupported, cancellationToken).ConfigureAwait(false);
                return null;
        }

        await client.ReadExactlyAsync(buffer.AsMemory(0, 2), cancellationToken).ConfigureAwait(false);
        int port = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        if (command != 1)
        {
            await ReplyAsync(client, CommandNotSupported, cancellationToken).ConfigureAwait(false);
            return null;
        }

        return $"{host}:{port}";
    }

    public static ValueTask ReplyAsync(Stream client, byte code, CancellationToken cancellationToken) =>
        client.WriteAsync(new byte[] { 5, code, 0, 1, 0, 0, 0, 0, 0, 0 }, cancellationToken);

    public static byte ReplyCodeFor(MuxResetReason reason) => reason switch
    {
        MuxResetReason.NotAllowed => NotAllowedByRuleset,
        MuxResetReason.Unreachable => HostUnreachable,
        MuxResetReason.Refused => ConnectionRefused,
        _ => GeneralFailure,
    };
}
