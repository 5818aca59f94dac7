using System.Net;
using Inroad.Protocol.Messages;

namespace Inroad.Broker.Service;

/// <summary>A proxy announcement's data while it waits.</summary>
internal sealed class AnnouncementContext(ProxyAnnounceRequest request, IPAddress proxyIp)
{
    public ProxyAnnounceRequest Request { get; } = request;

    public IPAddress ProxyIp { get; } = proxyIp;
}
