namespace Inroad.Protocol;

/// <summary>The peer's network kind, from its base API parameters.</summary>
internal enum NetworkType : byte
{
    /// <summary>Not reported.</summary>
    Unknown = 0,

    /// <summary>Wi-Fi.</summary>
    WiFi = 1,

    /// <summary>Mobile data (an unknown NAT here is assumed to be carrier-grade).</summary>
    Mobile = 2,

    /// <summary>Wired.</summary>
    Wired = 3,

    /// <summary>Through a VPN.</summary>
    Vpn = 4,
}
