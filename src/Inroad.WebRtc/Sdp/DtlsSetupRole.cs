namespace Inroad.WebRtc.Sdp;

/// <summary>a=setup (RFC 8842 §5.1): browsers offer actpass and answer active, so the answerer is the DTLS client.</summary>
internal enum DtlsSetupRole
{
    ActPass,
    Active,
    Passive,
}
