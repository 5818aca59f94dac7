using System.Net;
using System.Net.Sockets;
using Inroad.Nat;
using Inroad.Nat.PortMapping;
using Inroad.Network;

namespace Inroad.Tests.Network;

/// <summary>
/// An in-memory gateway: answers probes with <see cref="Protocols"/>, maps each port to <see cref="ExternalAddress"/>
/// with the same port, refuses the protocols in <see cref="Refuse"/>, and counts what it was asked.
/// </summary>
internal sealed class FakePortMapper : IUdpPortMapper
{
    private int _probes;
    private int _live;

    public IReadOnlyList<PortMappingProtocol> Protocols { get; set; } = [PortMappingProtocol.Pcp];

    public HashSet<PortMappingProtocol> Refuse { get; } = [];

    public IPAddress ExternalAddress { get; set; } = IPAddress.Parse("127.0.0.2");

    /// <summary>Never answers mapping requests (a silent gateway).</summary>
    public bool Silent { get; set; }

    /// <summary>Binds the mapped port itself, as another program taking it between choice and bind would.</summary>
    public bool OccupyPort { get; set; }

    public int Probes => Volatile.Read(ref _probes);

    /// <summary>Leases granted and not yet disposed.</summary>
    public int Live => Volatile.Read(ref _live);

    public List<(int Port, PortMappingProtocol Protocol)> Requests { get; } = [];

    public List<Socket> Occupiers { get; } = [];

    /// <summary>When set, probes answer only once it completes (a slow gateway).</summary>
    public TaskCompletionSource? ProbeGate { get; set; }

    public async Task<IReadOnlyList<PortMappingProtocol>> ProbeAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _probes);
        if (ProbeGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return Protocols;
    }

    public async Task<IUdpPortLease> MapUdpAsync(int internalPort, PortMappingProtocol protocol, CancellationToken cancellationToken)
    {
        lock (Requests)
        {
            Requests.Add((internalPort, protocol));
        }

        if (Silent)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Refuse.Contains(protocol))
        {
            throw new NatException(NatError.Refused, $"{protocol} refused");
        }

        if (OccupyPort)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Any, internalPort));
            Occupiers.Add(s);
        }

        Interlocked.Increment(ref _live);
        return new Lease(this, new IPEndPoint(ExternalAddress, internalPort), protocol);
    }

    private sealed class Lease(FakePortMapper owner, IPEndPoint external, PortMappingProtocol protocol) : IUdpPortLease
    {
        private int _disposed;

        public IPEndPoint ExternalEndPoint => external;

        public PortMappingProtocol Protocol => protocol;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._live);
            }

            return ValueTask.CompletedTask;
        }
    }
}
