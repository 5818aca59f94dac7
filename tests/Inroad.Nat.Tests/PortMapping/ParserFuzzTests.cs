using System.Net;
using System.Text;
using Inroad.Nat.PortMapping;

namespace Inroad.Nat.Tests.PortMapping;

/// <summary>Seeded random and mutated input into every port-mapping parser: they may refuse, never throw.</summary>
public sealed class ParserFuzzTests
{
    [Fact]
    public void Binary_parsers_never_throw_on_random_or_mutated_input()
    {
        var rng = new Random(7);
        byte[][] seeds =
        [
            Convert.FromHexString("008100000013feff007b01c8000004b0"),
            Convert.FromHexString("008000000013f24f498c369a"),
            Convert.FromHexString("02800000000000000000373b000000000000000000000000"),
            Convert.FromHexString("0281000000001c2000029bed00000000000000000000000081700918f1d0fb2d9d4c0abc1100000004d204d200000000000000000000ffff87b4aff6"),
        ];
        int accepted = 0;
        for (int i = 0; i < 20000; i++)
        {
            byte[] input = i % 2 == 0 ? RandomBytes(rng, rng.Next(0, 80)) : Mutate(rng, seeds[i % seeds.Length]);
            accepted += NatPmpCodec.TryReadExternalAddressResponse(input, out _) ? 1 : 0;
            accepted += NatPmpCodec.TryReadMapResponse(input, true, out _) ? 1 : 0;
            accepted += PcpCodec.TryReadMapResponse(input, out _, out _) ? 1 : 0;
            accepted += PcpCodec.TryReadResponseHeader(input, out _) ? 1 : 0;
            accepted += GatewayAnnouncement.TryRead(input, out _) ? 1 : 0;
            accepted += Ssdp.TryReadResponse(input, IPAddress.Loopback, out _, out _) ? 1 : 0;
        }

        Assert.InRange(accepted, 1, 100000); // mutations of valid messages are sometimes still valid
    }

    [Fact]
    public void Xml_parsers_never_throw_on_mutated_documents()
    {
        var rng = new Random(11);
        string soap = "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:GetExternalIPAddressResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"><NewExternalIPAddress>1.2.3.4</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>";
        string desc = "<?xml version=\"1.0\"?><root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ctl</controlURL></service></serviceList></device></root>";
        int readable = 0;
        for (int i = 0; i < 3000; i++)
        {
            char[] a = soap.ToCharArray();
            char[] b = desc.ToCharArray();
            for (int k = 0; k < 3; k++)
            {
                a[rng.Next(a.Length)] = "<>/&;\"=x \0"[rng.Next(10)];
                b[rng.Next(b.Length)] = "<>/&;\"=x \0"[rng.Next(10)];
            }

            readable += UpnpSoap.TryReadResponse(new string(a), out _, out _) ? 1 : 0;
            readable += UpnpDeviceDescription.TryParse(new string(b), out _) ? 1 : 0;
        }

        Assert.InRange(readable, 1, 6000);
        Assert.True(UpnpSoap.TryReadResponse(soap, out Dictionary<string, string> args, out _) && args["NewExternalIPAddress"] == "1.2.3.4");
        Assert.Equal("M-SEARCH", Encoding.ASCII.GetString(Ssdp.BuildSearch(Ssdp.IgdSearchTarget), 0, 8));
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        byte[] b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    private static byte[] Mutate(Random rng, byte[] seed)
    {
        byte[] b = (byte[])seed.Clone();
        int flips = rng.Next(1, 4);
        for (int i = 0; i < flips; i++)
        {
            b[rng.Next(b.Length)] = (byte)rng.Next(256);
        }

        return rng.Next(4) == 0 ? b[..rng.Next(b.Length)] : b;
    }
}
