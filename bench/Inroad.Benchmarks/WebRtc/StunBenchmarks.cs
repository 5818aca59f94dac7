using System.Net;
using BenchmarkDotNet.Attributes;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.Sdp;
using Inroad.WebRtc.Stun;

namespace Inroad.Benchmarks.WebRtc;

/// <summary>STUN codec, an agent answering a connectivity check, and SDP parsing.</summary>
[MemoryDiagnoser]
public class StunBenchmarks
{
    // Chromium 156's controlled check (chromium.pcapng frame 1) and the offer's ice-pwd.
    private static readonly byte[] Check = Convert.FromHexString("0001004c2112a442726e312b71666e517834593100060009434f6d4d3a7451694b000000c05700040001000080290008adb6b67d60fc3d94002400046e7f1eff00080014baae5f549835eb7340d0c2bf6bc9de82ebe554f58028000425a4f101");
    private static readonly byte[] Key = "8Gg+xfQL+fxQFnJ6MQliPvtk"u8.ToArray();
    private static readonly IPEndPoint From = new(IPAddress.Parse("198.18.0.1"), 44753);
    private readonly byte[] _output = new byte[256];
    private IceAgent _agent = null!;
    private string _sdp = null!;

    [GlobalSetup]
    public void Setup()
    {
        _agent = new IceAgent(new IceAgentOptions { Role = IceRole.Controlling, LocalCredentials = new IceCredentials("COmM", "8Gg+xfQL+fxQFnJ6MQliPvtk") });
        var host = new IPEndPoint(IPAddress.Parse("198.18.0.1"), 38008);
        IceCandidate c = IceCandidate.CreateLocal(IceCandidateType.Host, host, host.Address, IceCandidate.DefaultLocalPreference);
        _sdp = SessionDescription.CreateOffer(IceCredentials.NewChromium(), new byte[32], [c]).ToString();
    }

    [Benchmark]
    public bool ParseCheck() => StunMessage.TryRead(Check, out _);

    [Benchmark]
    public bool ParseAndVerifyCheck() => StunMessage.TryRead(Check, out StunMessage? m) && m.VerifyMessageIntegrity(Key) && m.HasValidFingerprint();

    [Benchmark]
    public int WriteCheck()
    {
        var w = new StunMessageWriter(_output, StunClass.Request, StunMethod.Binding, new StunTransactionId(1, 2));
        w.AddString(StunAttributeType.Username, "tQiK:COmM");
        w.AddGoogNetworkInfo(1, 0);
        w.AddUInt64(StunAttributeType.IceControlling, 42);
        w.AddEmpty(StunAttributeType.UseCandidate);
        w.AddUInt32(StunAttributeType.Priority, 1853824767);
        w.AddMessageIntegrity(Key);
        w.AddFingerprint();
        w.TryComplete(out int n);
        return n;
    }

    [Benchmark]
    public int AgentAnswersCheck()
    {
        _agent.HandleDatagram(Check, From, TimeSpan.Zero);
        int n = 0;
        while (_agent.TryDequeueTransmit(out IceTransmit t))
        {
            n += t.Datagram.Length;
        }

        return n;
    }

    [Benchmark]
    public bool ParseSdp() => SdpParser.TryParse(_sdp, SdpType.Offer, out _, out _);
}
