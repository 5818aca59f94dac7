using System.Text.Json;

namespace Inroad.Nat.Tests;

/// <summary>Reads ../shared/vectors/portmap (sources in vectors/README.md).</summary>
internal static class Vectors
{
    public static JsonElement PortMap(string file)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Inroad.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        string path = Path.GetFullPath(Path.Combine(dir ?? "/", "..", "shared", "vectors", "portmap", file));
        if (!File.Exists(path))
        {
            Inroad.Testing.Prerequisites.Missing("port-mapping vectors not found at " + path);
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static byte[] Hex(this JsonElement e, string property) => Convert.FromHexString(e.GetProperty(property).GetString()!);
}
