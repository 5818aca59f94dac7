using System.Text.Json;

namespace Inroad.WebRtc.Tests;

/// <summary>Finds <c>../shared/vectors</c> (beside the repository) from the test's output directory.</summary>
internal static class SharedVectors
{
    public static JsonDocument Load(string relativePath)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (string candidate in new[] { Path.Combine(dir.FullName, "shared", "vectors", relativePath), Path.Combine(dir.FullName, "..", "shared", "vectors", relativePath) })
            {
                if (File.Exists(candidate))
                {
                    return JsonDocument.Parse(File.ReadAllText(candidate));
                }
            }
        }

        Inroad.Testing.Prerequisites.Missing($"shared/vectors/{relativePath} not found beside the repository");
        throw new InvalidOperationException("unreachable");
    }
}
