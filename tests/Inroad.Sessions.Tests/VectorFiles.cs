using System.Text.Json;

namespace Inroad.Sessions.Tests;

/// <summary>Loads the JSON vector files copied beside the test assembly.</summary>
internal static class VectorFiles
{
    public static JsonDocument Load(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", name)));

    public static byte[] Hex(this JsonElement element, string property) =>
        element.TryGetProperty(property, out JsonElement value) ? Convert.FromHexString(value.GetString()!) : [];
}
