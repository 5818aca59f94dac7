using System.Net;
using System.Text;
using System.Text.Json;
using Inroad.Nat.PortMapping;

namespace Inroad.Nat.Tests.PortMapping;

public sealed class UpnpVectorTests
{
    public static TheoryData<string> Descriptions() => Names("device_descriptions");

    public static TheoryData<string> SoapBodies() => Names("soap_bodies");

    [Theory]
    [MemberData(nameof(Descriptions))]
    public void Device_description_picks_the_expected_services(string name)
    {
        JsonElement v = Find("device_descriptions", name);
        Assert.True(UpnpDeviceDescription.TryParse(v.GetProperty("xml").GetString()!, out UpnpDeviceDescription d));
        JsonElement expected = v.GetProperty("expected_services");
        AssertService(expected.GetProperty("CIF"), d.CommonInterfaceConfig);
        AssertService(expected.GetProperty("first"), d.Connection);
        if (expected.TryGetProperty("IPv6FC", out JsonElement fc))
        {
            AssertService(fc, d.IPv6FirewallControl);
        }
        else
        {
            Assert.Null(d.IPv6FirewallControl);
        }
    }

    [Theory]
    [MemberData(nameof(SoapBodies))]
    public void Soap_arguments_are_read_by_name(string name)
    {
        JsonElement v = Find("soap_bodies", name);
        bool ok = UpnpSoap.TryReadResponse(v.GetProperty("xml").GetString()!, out Dictionary<string, string> args, out _);
        foreach (JsonElement a in v.GetProperty("expected_arguments").EnumerateArray())
        {
            Assert.True(ok);
            Assert.Equal(a.GetProperty("value").GetString(), args[a.GetProperty("name").GetString()!]);
        }
    }

    [Fact]
    public void Soap_fault_yields_the_upnp_error_code()
    {
        const string fault = "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>";
        Assert.True(UpnpSoap.TryReadResponse(fault, out _, out int code));
        Assert.Equal(718, code);
    }

    [Fact]
    public void Hostile_xml_is_refused_without_expanding_or_fetching()
    {
        const string billionLaughs = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><root><URLBase>&b;</URLBase></root>";
        const string external = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"http://203.0.113.30/secret\">]><root><URLBase>&x;</URLBase></root>";
        string huge = "<root>" + new string('a', UpnpXml.MaxDocumentChars) + "</root>";
        string deep = string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100));
        Assert.False(UpnpDeviceDescription.TryParse(billionLaughs, out _));
        Assert.False(UpnpDeviceDescription.TryParse(external, out _));
        Assert.False(UpnpSoap.TryReadResponse(huge, out _, out _));
        Assert.False(UpnpSoap.TryReadResponse(deep, out _, out _));
    }

    [Fact]
    public void Ssdp_answer_must_point_at_the_host_that_sent_it()
    {
        byte[] good = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: http://198.18.2.1:5000/rootDesc.xml\r\n\r\n");
        Assert.True(Ssdp.TryReadResponse(good, IPAddress.Parse("198.18.2.1"), out Uri? location, out string? st));
        Assert.Equal("http://198.18.2.1:5000/rootDesc.xml", location!.ToString());
        Assert.Equal(Ssdp.IgdSearchTarget, st);
        Assert.False(Ssdp.TryReadResponse(good, IPAddress.Parse("198.18.2.99"), out _, out _));
        Assert.False(Ssdp.TryReadResponse("HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n"u8, IPAddress.Parse("198.18.2.1"), out _, out _));
        Assert.False(Ssdp.TryReadResponse("NOTIFY * HTTP/1.1\r\n\r\n"u8, IPAddress.Parse("198.18.2.1"), out _, out _));
    }

    [Fact]
    public void Default_gateway_is_read_from_the_route_table()
    {
        const string table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
            "eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
            "eth1\t00000000\t010212C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
            "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        Assert.Equal(IPAddress.Parse("198.18.2.1"), DefaultGateway.Parse(table));
        Assert.Null(DefaultGateway.Parse("Iface\tDestination\n"));
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("73.140.54.154", true)]
    [InlineData("10.201.213.174", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("198.51.100.102", false)]
    [InlineData("203.0.113.101", false)]
    public void Public_address_check_knows_the_reserved_ranges(string address, bool expected)
    {
        Assert.Equal(expected, PortMapper.IsPublic(IPAddress.Parse(address)));
    }

    private static void AssertService(JsonElement expected, UpnpService? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.GetProperty("servicetype").GetString(), actual.ServiceType);
        Assert.Equal(expected.GetProperty("controlurl").GetString(), actual.ControlUrl);
        Assert.Equal(expected.GetProperty("eventsuburl").GetString(), actual.EventSubUrl);
        Assert.Equal(expected.GetProperty("scpdurl").GetString(), actual.ScpdUrl);
    }

    private static TheoryData<string> Names(string kind)
    {
        var data = new TheoryData<string>();
        foreach (JsonElement e in Vectors.PortMap("upnp-igd.json").GetProperty(kind).EnumerateArray())
        {
            data.Add(e.GetProperty("name").GetString()!);
        }

        return data;
    }

    private static JsonElement Find(string kind, string name) =>
        Vectors.PortMap("upnp-igd.json").GetProperty(kind).EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
}
