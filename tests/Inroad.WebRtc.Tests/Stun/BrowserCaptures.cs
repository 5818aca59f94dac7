namespace Inroad.WebRtc.Tests.Stun;

/// <summary>
/// STUN datagrams taken from ../shared/reference/webrtc/chromium.pcapng and firefox.pcapng (UDP payloads of the
/// frames named), with the ice-pwd values from the SDPs in chromium.details.md / firefox.details.md, so their
/// MESSAGE-INTEGRITY can be checked (the public vector sets have no keys for browser checks).
/// </summary>
internal static class BrowserCaptures
{
    public const string ChromiumOfferUfrag = "COmM";
    public const string ChromiumOfferPwd = "8Gg+xfQL+fxQFnJ6MQliPvtk";
    public const string ChromiumAnswerUfrag = "tQiK";
    public const string ChromiumAnswerPwd = "ZtiDfGphGPZBAkVaen/Zfo7E";

    /// <summary>Frame 1: answerer (controlled) → offerer, 96 bytes, 198.18.0.1:44753 → :38008.</summary>
    public const string ChromiumControlledCheck = "0001004c2112a442726e312b71666e517834593100060009434f6d4d3a7451694b000000c05700040001000080290008adb6b67d60fc3d94002400046e7f1eff00080014baae5f549835eb7340d0c2bf6bc9de82ebe554f58028000425a4f101";

    /// <summary>Frame 2: offerer's success response to frame 1, 64 bytes, keyed with the offer's pwd.</summary>
    public const string ChromiumControlledCheckResponse = "0101002c2112a442726e312b71666e51783459310020000800018fc3e700a443000800147f0d1d53008ca88871d858f07396675eec0e5e7480280004ec846678";

    /// <summary>Frame 3: offerer (controlling, USE-CANDIDATE) → answerer, 100 bytes.</summary>
    public const string ChromiumControllingCheck = "000100502112a4424d37654b637170333875685a000600097451694b3a434f6d4d000000c057000400010000802a00083229e8e2983c788800250000002400046e7f1eff000800141664202928099e152df85c6fe2196de65699cbc38028000453fd8a20";

    public const string FirefoxOfferPwd = "0cbb1df58b9b60e4b46b218127c0d70a";
    public const string FirefoxAnswerPwd = "31c4f1cce2f4fcfedd1a1a6e39cc042a";

    /// <summary>firefox.pcapng frame 1: controlled check to the offerer (USERNAME 46a58b56:baad194f).</summary>
    public const string FirefoxControlledCheck = "0001004c2112a44220ec2d8ba057d26e7a8c06660006001134366135386235363a6261616431393466000000002400046e7f00ff802900086a405851c2d548e00008001436ebcb282d3f2bac5906f5d26e1b8065846f7b4680280004ad663d6d";

    /// <summary>firefox.pcapng frame 2: controlling check with USE-CANDIDATE to the answerer.</summary>
    public const string FirefoxControllingCheck = "000100502112a442c843913c913e21fe3dd3822a0006001162616164313934663a343661353862353600000000250000002400046e7f00ff802a0008b1c726d5f6bb7a440008001491003dad0b1a1424e0e43cb18346137471a5c4ce80280004ded9280d";

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);
}
