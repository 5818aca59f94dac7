namespace Inroad.Nat.Discovery;

/// <summary>The kind of network a peer is on. Values match the broker API (design §2.2).</summary>
public enum NetworkType
{
    /// <summary>Not known.</summary>
    Unknown = 0,

    /// <summary>Wi-Fi.</summary>
    WiFi = 1,

    /// <summary>Mobile data.</summary>
    Mobile = 2,

    /// <summary>Wired.</summary>
    Wired = 3,

    /// <summary>A VPN.</summary>
    Vpn = 4,
}
