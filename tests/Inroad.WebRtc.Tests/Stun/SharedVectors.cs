using System.Text.Json;

namespace Inroad.WebRtc.Tests.Stun;

/// <summary>Loads the public vectors in ../shared/vectors (see vectors/README.md for their sources).</summary>
internal static class SharedVectors
{
    public static JsonElement Load(string relativePath)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Inroad.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        string path = dir is null ? string.Empty : Path.GetFullPath(Path.Combine(dir, "..", "shared", "vectors", relativePath));
        if (!File.Exists(path))
        {
            Inroad.Testing.Prerequisites.Missing($"shared vectors not found at {path}");
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.Clone();
    }

    public static IEnumerable<JsonElement> Vectors(string relativePath) => Load(relativePath).GetProperty("vectors").EnumerateArray();

    public static TheoryData<string> Names(string relativePath)
    {
        var data = new TheoryData<string>();
        foreach (JsonElement v in Vectors(relativePath))
        {
            data.Add(v.GetProperty("name").GetString()!);
        }

        return data;
    }

    public static JsonElement Find(string relativePath, string name) =>
        Vectors(relativePath).First(v => v.GetProperty("name").GetString() == name);
}
