using System.Net;
using System.Net.Sockets;
using Inroad.WebRtc.Stun;

namespace Inroad.WebRtc.Tests.Stun;

public sealed class StunServerTests
{
    private static readonly IPEndPoint From = new(IPAddress.Parse("198.18.0.1"), 44753);
    private static readonly IPEndPoint Local = new(IPAddress.Parse("203.0.113.1"), 3478);

    [Theory]
    [InlineData(BrowserCaptures.ChromiumControlledCheck)]
    [InlineData(BrowserCaptures.ChromiumControllingCheck)]
    [InlineData(BrowserCaptures.FirefoxControllingCheck)]
    public void Answers_captured_browser_binding_requests(string hex)
    {
        byte[] request = BrowserCaptures.Bytes(hex);
        byte[] output = new byte[512];
        int n = StunBindingResponder.Answer(request, From, Local, new StunServerOptions(), output);
        Assert.True(StunMessage.TryRead(output.AsSpan(0, n), out StunMessage? response));
        Assert.Equal(StunClass.SuccessResponse, response.Class);
        Assert.Equal(StunTransactionId.Read(request.AsSpan(8)), response.TransactionId);
        Assert.True(response.TryGetXorMappedAddress(out IPEndPoint? mapped));
        Assert.Equal(From, mapped);
        Assert.True(response.HasValidFingerprint());
        Assert.Equal(new[] { StunAttributeType.XorMappedAddress, StunAttributeType.Fingerprint }, response.Attributes.Select(a => a.Type));
    }

    [Fact]
    public void Is_silent_for_garbage_indications_responses_and_broken_fingerprints()
    {
        byte[] output = new byte[512];
        var options = new StunServerOptions();
        Assert.Equal(0, StunBindingResponder.Answer([0x16, 0xfe, 0xfd, 0, 0], From, Local, options, output));
        Assert.Equal(0, StunBindingResponder.Answer(BrowserCaptures.Bytes(BrowserCaptures.ChromiumControlledCheckResponse), From, Local, options, output));
        byte[] broken = BrowserCaptures.Bytes(BrowserCaptures.ChromiumControlledCheck);
        broken[^2] ^= 0xff;
        Assert.Equal(0, StunBindingResponder.Answer(broken, From, Local, options, output));
        byte[] indication = new byte[64];
        var w = new StunMessageWriter(indication, StunClass.Indication, StunMethod.Binding, StunTransactionId.NewRandom());
        Assert.True(w.TryComplete(out int n));
        Assert.Equal(0, StunBindingResponder.Answer(indication.AsSpan(0, n), From, Local, options, output));
    }

    [Fact]
    public void Unknown_comprehension_required_attribute_gets_420_naming_it()
    {
        byte[] request = new byte[64];
        var w = new StunMessageWriter(request, StunClass.Request, StunMethod.Binding, StunTransactionId.NewRandom());
        w.AddUInt32(0x0031, 7);
        w.AddUInt32(0xC0FE, 1); // comprehension-optional: ignored
        w.AddFingerprint();
        Assert.True(w.TryComplete(out int n));
        byte[] output = new byte[512];
        int m = StunBindingResponder.Answer(request.AsSpan(0, n), From, Local, new StunServerOptions(), output);
        Assert.True(StunMessage.TryRead(output.AsSpan(0, m), out StunMessage? response));
        Assert.Equal(StunClass.ErrorResponse, response.Class);
        Assert.True(response.TryGetErrorCode(out int code, out _));
        Assert.Equal(420, code);
        Assert.Equal(new ushort[] { 0x0031 }, response.GetUnknownAttributesList());
    }

    [Fact]
    public async Task Real_server_answers_chromiums_captured_check_over_udp()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        await using StunServer server = StunServer.Start();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        byte[] request = BrowserCaptures.Bytes(BrowserCaptures.ChromiumControlledCheck);
        await socket.SendToAsync(new byte[] { 0xde, 0xad }, server.LocalEndPoint, cts.Token);
        await socket.SendToAsync(request, server.LocalEndPoint, cts.Token);
        byte[] buffer = new byte[512];
        SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.True(StunMessage.TryRead(buffer.AsSpan(0, r.ReceivedBytes), out StunMessage? response));
        Assert.Equal(StunTransactionId.Read(request.AsSpan(8)), response.TransactionId);
        Assert.True(response.TryGetXorMappedAddress(out IPEndPoint? mapped));
        Assert.Equal(socket.LocalEndPoint, mapped);
        Assert.Equal(1, server.Answered);
        Assert.Equal(1, server.Ignored);
    }
}
