using System.Net;
using Inroad.WebRtc.Ice;

namespace Inroad.WebRtc.Tests.Ice;

/// <summary>
/// Moves the transmits of sans-IO agents between addresses on a virtual clock, with seeded loss, fixed delay
/// and a drop filter. Deterministic: a failing run replays exactly.
/// </summary>
internal sealed class SimulatedNetwork
{
    private readonly Dictionary<IPEndPoint, IceAgent> _agents = [];
    private readonly PriorityQueue<(IPEndPoint From, IPEndPoint To, byte[] Datagram), (TimeSpan At, long Seq)> _inFlight = new();
    private readonly Random _random;
    private long _seq;

    public SimulatedNetwork(int seed = 1) => _random = new Random(seed);

    public TimeSpan Now { get; private set; }

    public double Loss { get; set; }

    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Return false to drop a datagram (from, to).</summary>
    public Func<IPEndPoint, IPEndPoint, bool> Filter { get; set; } = (_, _) => true;

    /// <summary>Every datagram that was sent, in order (for wire-shape assertions).</summary>
    public List<(IPEndPoint From, IPEndPoint To, byte[] Datagram)> Sent { get; } = [];

    public void Add(IPEndPoint address, IceAgent agent) => _agents[address] = agent;

    /// <summary>Sends a datagram from an address no agent owns (a prober).</summary>
    public void Inject(IPEndPoint from, IPEndPoint to, byte[] datagram) => Schedule(from, to, datagram);

    /// <summary>Runs until <paramref name="done"/> or the virtual clock passes <paramref name="limit"/>.</summary>
    public void RunUntil(Func<bool> done, TimeSpan limit)
    {
        Collect();
        while (!done() && Now < limit)
        {
            TimeSpan next = limit;
            if (_inFlight.TryPeek(out _, out (TimeSpan At, long) head) && head.At < next)
            {
                next = head.At;
            }

            foreach (IceAgent a in _agents.Values)
            {
                if (a.NextTimeout is { } t && t < next)
                {
                    next = t;
                }
            }

            Now = next > Now ? next : Now;
            while (_inFlight.TryPeek(out var d, out (TimeSpan At, long) at) && at.At <= Now)
            {
                _inFlight.Dequeue();
                if (_agents.TryGetValue(d.To, out IceAgent? agent))
                {
                    agent.HandleDatagram(d.Datagram, d.From, Now);
                }
            }

            foreach (IceAgent a in _agents.Values)
            {
                if (a.NextTimeout is { } t && t <= Now)
                {
                    a.HandleTimeout(Now);
                }
            }

            Collect();
        }
    }

    /// <summary>Drains one agent's transmits without delivering them (for probe tests that read answers).</summary>
    public List<IceTransmit> Drain(IceAgent agent)
    {
        var list = new List<IceTransmit>();
        while (agent.TryDequeueTransmit(out IceTransmit t))
        {
            list.Add(t);
        }

        return list;
    }

    private void Collect()
    {
        foreach ((IPEndPoint from, IceAgent agent) in _agents)
        {
            while (agent.TryDequeueTransmit(out IceTransmit t))
            {
                Schedule(from, t.Destination, t.Datagram);
            }
        }
    }

    private void Schedule(IPEndPoint from, IPEndPoint to, byte[] datagram)
    {
        Sent.Add((from, to, datagram));
        if (!Filter(from, to) || _random.NextDouble() < Loss)
        {
            return;
        }

        _inFlight.Enqueue((from, to, datagram), (Now + Delay, _seq++));
    }
}
