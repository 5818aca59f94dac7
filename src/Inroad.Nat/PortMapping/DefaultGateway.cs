using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Inroad.Nat.PortMapping;

/// <summary>The IPv4 default gateway, read from Linux's <c>/proc/net/route</c> (other systems: configure it).</summary>
internal static class DefaultGateway
{
    public static IPAddress? Find(string routeTable = "/proc/net/route")
    {
        try
        {
            return File.Exists(routeTable) ? Parse(File.ReadAllText(routeTable)) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Parses the table: the lowest-metric row with destination 0 and the gateway flag (0x2).</summary>
    public static IPAddress? Parse(string table)
    {
        IPAddress? best = null;
        int bestMetric = int.MaxValue;
        foreach (string line in table.Split('\n').Skip(1))
        {
            string[] f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 7 || f[1] != "00000000"
                || !uint.TryParse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint gw)
                || !int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags) || (flags & 0x2) == 0
                || !int.TryParse(f[6], CultureInfo.InvariantCulture, out int metric) || metric >= bestMetric)
            {
                continue;
            }

            byte[] bytes = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, gw); // the kernel prints the address in host (little-endian) order
            best = new IPAddress(bytes);
            bestMetric = metric;
        }

        return best;
    }
}
