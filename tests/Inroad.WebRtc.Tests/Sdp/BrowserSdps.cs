namespace Inroad.WebRtc.Tests.Sdp;

/// <summary>SDPs from ../shared/reference/webrtc/chromium.details.md and firefox.details.md (Chromium 156, Firefox ESR 153).</summary>
internal static class BrowserSdps
{
    public const string ChromiumOfferGathered = """
        v=0
        o=- 3560111859992010274 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0
        a=extmap-allow-mixed
        a=msid-semantic: WMS
        m=application 38008 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 198.18.0.1
        a=candidate:4108267573 1 udp 2122260223 198.18.0.1 38008 typ host generation 0 network-id 1
        a=ice-ufrag:COmM
        a=ice-pwd:8Gg+xfQL+fxQFnJ6MQliPvtk
        a=ice-options:trickle
        a=fingerprint:sha-256 45:2A:BE:43:A2:05:69:86:E4:3E:F2:1E:44:4E:71:E4:11:31:D9:21:B7:84:B7:04:1B:4B:D2:0E:0F:D5:2A:01
        a=setup:actpass
        a=mid:0
        a=sctp-port:5000
        a=max-message-size:262144

        """;

    public const string ChromiumAnswer = """
        v=0
        o=- 5576134117032636940 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0
        a=extmap-allow-mixed
        a=msid-semantic: WMS
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 0.0.0.0
        a=ice-ufrag:tQiK
        a=ice-pwd:ZtiDfGphGPZBAkVaen/Zfo7E
        a=ice-options:trickle
        a=fingerprint:sha-256 AD:19:EE:7E:55:4D:9B:1E:77:3D:91:FC:FC:39:B3:04:4A:94:38:B5:8D:AC:9F:4F:24:B6:3E:55:D2:29:F8:BE
        a=setup:active
        a=mid:0
        a=sctp-port:5000
        a=max-message-size:262144

        """;

    public const string FirefoxOfferGathered = """
        v=0
        o=mozilla...THIS_IS_SDPARTA-99.0 5030701666205474062 0 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=sendrecv
        a=fingerprint:sha-256 82:F9:AE:58:3B:7C:67:67:59:40:32:3C:DC:EB:8A:27:EC:20:94:B8:81:87:52:13:AB:47:9C:7A:F9:1D:A2:62
        a=group:BUNDLE 0
        a=ice-options:trickle
        a=msid-semantic:WMS *
        m=application 47544 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 198.18.0.1
        a=candidate:0 1 UDP 2122252543 198.18.0.1 47544 typ host
        a=candidate:1 1 TCP 2105524479 198.18.0.1 9 typ host tcptype active
        a=sendrecv
        a=end-of-candidates
        a=ice-pwd:0cbb1df58b9b60e4b46b218127c0d70a
        a=ice-ufrag:46a58b56
        a=mid:0
        a=setup:actpass
        a=sctp-port:5000
        a=max-message-size:1073741823

        """;

    public const string FirefoxAnswerGathered = """
        v=0
        o=mozilla...THIS_IS_SDPARTA-99.0 8221205398675237556 0 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=sendrecv
        a=fingerprint:sha-256 AF:FB:3A:4D:99:24:F0:BF:03:E1:3D:A8:F7:FB:2F:98:AE:45:BB:6D:4C:7B:C8:D0:F7:BA:BE:94:E1:76:DE:52
        a=group:BUNDLE 0
        a=ice-options:trickle
        a=msid-semantic:WMS *
        m=application 35155 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 198.18.0.1
        a=candidate:0 1 UDP 2122252543 198.18.0.1 35155 typ host
        a=candidate:1 1 TCP 2105524479 198.18.0.1 9 typ host tcptype active
        a=sendrecv
        a=end-of-candidates
        a=ice-pwd:31c4f1cce2f4fcfedd1a1a6e39cc042a
        a=ice-ufrag:baad194f
        a=mid:0
        a=setup:active
        a=sctp-port:5000
        a=max-message-size:1073741823

        """;
}
