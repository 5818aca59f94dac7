namespace Inroad.Nat.PortMapping;

/// <summary>One service of a UPnP device description, URLs as written (relative to the description URL or URLBase).</summary>
internal sealed record UpnpService(string ServiceType, string ControlUrl, string EventSubUrl, string ScpdUrl);
