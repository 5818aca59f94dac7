using System.Net;

namespace Inroad.WebRtc.Stun;

/// <summary>
/// The sans-IO heart of <see cref="StunServer"/>: what a plain binding server answers to one datagram
/// (RFC 8489 §6.3). Silence (0 bytes) for anything that is not a well-formed Binding request, for a broken
/// FINGERPRINT, and for indications; 420 with UNKNOWN-ATTRIBUTES for unknown comprehension-required attributes
/// and for CHANGE-REQUEST with a flag set (this server has one address, RFC 5780 §6.1); otherwise a success
/// response with XOR-MAPPED-ADDRESS and FINGERPRINT. No authentication: USERNAME/MESSAGE-INTEGRITY (as in
/// a browser's connectivity check) are ignored, as public binding servers do.
/// </summary>
internal static class StunBindingResponder
{
    /// <returns>Bytes written to <paramref name="output"/>; 0 means "send nothing".</returns>
    public static int Answer(ReadOnlySpan<byte> datagram, IPEndPoint from, IPEndPoint local, StunServerOptions options, Span<byte> output)
    {
        if (!StunMessage.TryRead(datagram, out StunMessage? request)
            || request.Class != StunClass.Request
            || request.Method != StunMethod.Binding)
        {
            return 0;
        }

        if (request.HasAttribute(StunAttributeType.Fingerprint) && !request.HasValidFingerprint())
        {
            return 0;
        }

        List<ushort> unknown = request.GetUnknownComprehensionRequired();
        if (request.TryGetChangeRequest(out bool changeIp, out bool changePort) && (changeIp || changePort))
        {
            unknown.Add(StunAttributeType.ChangeRequest);
        }

        StunMessageWriter writer;
        if (unknown.Count > 0)
        {
            writer = new StunMessageWriter(output, StunClass.ErrorResponse, StunMethod.Binding, request.TransactionId);
            writer.AddErrorCode(420, "Unknown Attribute");
            writer.AddUnknownAttributes(unknown.ToArray());
        }
        else
        {
            writer = new StunMessageWriter(output, StunClass.SuccessResponse, StunMethod.Binding, request.TransactionId);
            writer.AddXorMappedAddress(from);
            if (options.IncludeMappedAddress)
            {
                writer.AddAddress(StunAttributeType.MappedAddress, from);
            }

            if (options.IncludeResponseOrigin)
            {
                writer.AddAddress(StunAttributeType.ResponseOrigin, local);
            }
        }

        if (options.Software is { } software)
        {
            writer.AddString(StunAttributeType.Software, software);
        }

        writer.AddFingerprint();
        return writer.TryComplete(out int written) ? written : 0;
    }
}
