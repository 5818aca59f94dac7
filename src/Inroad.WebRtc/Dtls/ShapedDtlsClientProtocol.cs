using Org.BouncyCastle.Tls;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// BouncyCastle's DTLS client with one hook: the encoded ClientHello has its extension blocks re-emitted in the
/// shape's order (BouncyCastle writes empty extensions first, which no browser does). The returned body is what
/// BouncyCastle hashes into the transcript, sends and cookie-patches, and it keeps its own dictionary of the
/// extensions, so the order is free (BouncyCastle 2.7.0 pinned: the hook is protected virtual there).
/// </summary>
internal sealed class ShapedDtlsClientProtocol(IReadOnlyList<int> order) : DtlsClientProtocol
{
    protected override byte[] GenerateClientHello(ClientHandshakeState state) =>
        DtlsWire.ReorderClientHelloExtensions(base.GenerateClientHello(state), order);
}
