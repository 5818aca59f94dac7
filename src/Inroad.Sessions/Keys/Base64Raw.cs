namespace Inroad.Sessions.Keys;

/// <summary>Base64 "raw std" (standard alphabet, no padding): how the design writes IDs, keys and secrets.</summary>
public static class Base64Raw
{
    /// <summary>Encodes without padding.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    /// <summary>Decodes with or without padding into exactly <paramref name="length"/> bytes.</summary>
    public static bool TryDecode(string? text, int length, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        string padded = text.TrimEnd('=');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        byte[] buffer = new byte[length + 3];
        if (!Convert.TryFromBase64String(padded, buffer, out int written) || written != length)
        {
            return false;
        }

        bytes = buffer.AsSpan(0, length).ToArray();
        return true;
    }
}
