using System.Buffers.Binary;
using System.Net;
using System.Text;
using Inroad.Broker.Matching;
using Inroad.Geo;

namespace Inroad.Tests.Geo;

/// <summary>The MaxMind adapter against small country and ASN databases this test writes itself.</summary>
public sealed class MaxMindGeoLookupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("inroad-mmdb-").FullName;

    [Fact]
    public void Country_and_asn_come_from_the_databases_and_unlisted_addresses_are_unknown()
    {
        string country = Path.Combine(_dir, "country.mmdb");
        string asn = Path.Combine(_dir, "asn.mmdb");
        File.WriteAllBytes(country, Mmdb.OneIpv4Network("GeoLite2-Country", [203, 0, 113], Mmdb.Map(("country", Mmdb.Map(("iso_code", Mmdb.Text("DE")))))));
        File.WriteAllBytes(asn, Mmdb.OneIpv4Network("GeoLite2-ASN", [203, 0, 113], Mmdb.Map(("autonomous_system_number", Mmdb.UInt32(64500)), ("autonomous_system_organization", Mmdb.Text("Test Net")))));

        using var geo = new MaxMindGeoLookup(country, asn);
        Assert.Equal(GeoKey.From("DE", 64500), geo.Lookup(IPAddress.Parse("203.0.113.7")));
        Assert.Equal(GeoKey.Unknown, geo.Lookup(IPAddress.Parse("198.51.100.1")));

        using var countryOnly = new MaxMindGeoLookup(country, null);
        Assert.Equal(GeoKey.From("DE", 0), countryOnly.Lookup(IPAddress.Parse("203.0.113.200")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// A minimal MaxMind DB (format 2.0) writer: an IPv4 search tree of 24-bit records, the 16-byte
    /// separator, a data section, and the metadata map after the "\xAB\xCD\xEFMaxMind.com" marker.
    /// </summary>
    private static class Mmdb
    {
        /// <summary>A database where the network of the given leading bytes (a /8, /16 or /24) maps to <paramref name="record"/>; everything else is absent.</summary>
        public static byte[] OneIpv4Network(string databaseType, byte[] prefix, byte[] record)
        {
            int depth = prefix.Length * 8;
            int nodeCount = depth;
            var output = new List<byte>();
            for (int node = 0; node < nodeCount; node++)
            {
                int bit = (prefix[node / 8] >> (7 - (node % 8))) & 1;
                int onPath = node + 1 < nodeCount ? node + 1 : nodeCount + 16; // last node points at data offset 0
                int left = bit == 0 ? onPath : nodeCount;   // nodeCount means "no data"
                int right = bit == 1 ? onPath : nodeCount;
                AddRecord24(output, left);
                AddRecord24(output, right);
            }

            output.AddRange(new byte[16]);
            output.AddRange(record);
            output.AddRange([0xAB, 0xCD, 0xEF]);
            output.AddRange(Encoding.ASCII.GetBytes("MaxMind.com"));
            output.AddRange(Map(
                ("node_count", UInt32((uint)nodeCount)),
                ("record_size", UInt16(24)),
                ("ip_version", UInt16(4)),
                ("database_type", Text(databaseType)),
                ("languages", Array(Text("en"))),
                ("binary_format_major_version", UInt16(2)),
                ("binary_format_minor_version", UInt16(0)),
                ("build_epoch", UInt64(1_700_000_000)),
                ("description", Map(("en", Text("Inroad test database"))))));
            return [.. output];
        }

        public static byte[] Text(string s)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(s);
            return [.. Control(2, utf8.Length), .. utf8];
        }

        public static byte[] UInt16(ushort v)
        {
            byte[] b = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(b, v);
            return [.. Control(5, 2), .. b];
        }

        public static byte[] UInt32(uint v)
        {
            byte[] b = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, v);
            return [.. Control(6, 4), .. b];
        }

        public static byte[] Map(params (string Key, byte[] Value)[] pairs)
        {
            var b = new List<byte>(Control(7, pairs.Length));
            foreach ((string key, byte[] value) in pairs)
            {
                b.AddRange(Text(key));
                b.AddRange(value);
            }

            return [.. b];
        }

        private static byte[] UInt64(ulong v)
        {
            byte[] b = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(b, v);
            return [.. Control(9, 8), .. b];
        }

        private static byte[] Array(params byte[][] items) => [.. Control(11, items.Length), .. items.SelectMany(i => i)];

        // Type in the top three bits (extended types: 0 there and type − 7 in the next byte); a size below 29 in
        // the low five bits, or 29 there and size − 29 in one more byte (after the extended type byte).
        private static byte[] Control(int type, int size)
        {
            Assert.InRange(size, 0, 284);
            int low = Math.Min(size, 29);
            byte[] head = type <= 7 ? [(byte)((type << 5) | low)] : [(byte)low, (byte)(type - 7)];
            return size < 29 ? head : [.. head, (byte)(size - 29)];
        }

        private static void AddRecord24(List<byte> output, int value) =>
            output.AddRange([(byte)(value >> 16), (byte)(value >> 8), (byte)value]);
    }
}
