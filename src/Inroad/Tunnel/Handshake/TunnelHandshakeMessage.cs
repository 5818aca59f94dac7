using System.Buffers;
using System.Buffers.Binary;
using System.Formats.Cbor;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions.Records;

namespace Inroad.Tunnel.Handshake;

/// <summary>
/// One message of the in-proxy API handshake that runs on the secure tunnel before the stream multiplexer
/// (design §5): <c>{1 connection ID, 2 session packet, 3 status, 4 protocol version}</c>, framed as a 2-byte
/// big-endian length and canonical CBOR. The client opens with the connection ID and the broker's first relay
/// packet; the server answers Relay (one more broker↔server packet for the client to carry), Accepted or Refused.
/// </summary>
internal sealed record TunnelHandshakeMessage
{
    /// <summary>Largest encoded message; session packets are far smaller.</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>The handshake protocol version this build speaks.</summary>
    public const int CurrentVersion = 1;

    public Id32 ConnectionId { get; init; }

    public ReadOnlyMemory<byte> Packet { get; init; }

    public TunnelHandshakeStatus Status { get; init; }

    public int Version { get; init; }

    public byte[] Encode()
    {
        CborWriter writer = CborRecords.CreateWriter();
        writer.WriteStartMap(null);
        if (!ConnectionId.IsZero)
        {
            MessageCbor.WriteId(writer, 1, ConnectionId);
        }

        writer.WriteField(2, Packet.Span);
        writer.WriteField(3, (long)Status);
        writer.WriteField(4, Version);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>Parses one message body; false for anything malformed (never throws).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> cbor, out TunnelHandshakeMessage? message)
    {
        message = null;
        try
        {
            CborReader reader = CborRecords.CreateReader(cbor);
            var m = new TunnelHandshakeMessage();
            MessageCbor.ReadMap(reader, key =>
            {
                m = key switch
                {
                    1 => m with { ConnectionId = MessageCbor.ReadId(reader) },
                    2 => m with { Packet = reader.ReadByteString() },
                    3 => m with { Status = (TunnelHandshakeStatus)reader.ReadInt32() },
                    4 => m with { Version = reader.ReadInt32() },
                    _ => Skip(reader, m),
                };
            });
            message = reader.BytesRemaining == 0 && Enum.IsDefined(m.Status) ? m : null;
            return message is not null;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Writes one framed message.</summary>
    public async ValueTask WriteAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] body = Encode();
        byte[] frame = ArrayPool<byte>.Shared.Rent(2 + body.Length);
        try
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame, checked((ushort)body.Length));
            body.CopyTo(frame.AsSpan(2));
            await stream.WriteAsync(frame.AsMemory(0, 2 + body.Length), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Reads one framed message; null at end of stream or for a malformed one.</summary>
    public static async ValueTask<TunnelHandshakeMessage?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] header = new byte[2];
        if (!await ReadExactlyOrEndAsync(stream, header, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(header);
        if (length is 0 or > MaxLength)
        {
            return null;
        }

        byte[] body = new byte[length];
        return await ReadExactlyOrEndAsync(stream, body, cancellationToken).ConfigureAwait(false) && TryDecode(body, out TunnelHandshakeMessage? m)
            ? m
            : null;
    }

    private static async ValueTask<bool> ReadExactlyOrEndAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) =>
        await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) == buffer.Length;

    private static TunnelHandshakeMessage Skip(CborReader reader, TunnelHandshakeMessage m)
    {
        reader.SkipValue();
        return m;
    }
}
