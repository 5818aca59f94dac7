using System.Security.Cryptography;

namespace Inroad.WebRtc.Ice;

/// <summary>ice-ufrag and ice-pwd (RFC 8839 §5.4). Chromium makes 4 and 24 characters of the base64 alphabet.</summary>
internal sealed record IceCredentials(string Ufrag, string Password)
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>Fresh credentials shaped like Chromium's (browsers.md: ufrag 4 chars, pwd 24, base64 alphabet).</summary>
    public static IceCredentials NewChromium() => new(RandomString(4), RandomString(24));

    /// <summary>RFC 8839 §5.4: ufrag 4–256 and pwd 22–256 ice-chars (ALPHA / DIGIT / "+" / "/").</summary>
    public static bool IsValid(string ufrag, string password) =>
        ufrag.Length is >= 4 and <= 256 && password.Length is >= 22 and <= 256 && AllIceChars(ufrag) && AllIceChars(password);

    private static bool AllIceChars(string s)
    {
        foreach (char c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    private static string RandomString(int length) => RandomNumberGenerator.GetString(Alphabet, length);
}
