using System.Diagnostics;

namespace Inroad.Testing;

/// <summary>
/// Gates for tests that need root, Debian packages or a browser. On a developer machine a missing
/// prerequisite skips the test with the reason; under CI (<c>CI=true</c>) it fails the test, because
/// CI installs everything and a silent skip there would hide a broken install step.
/// </summary>
public static class Prerequisites
{
    /// <summary>True when the environment says this run is CI's.</summary>
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the process runs as root (needed for network namespaces).</summary>
    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    /// <summary>Requires root, or skips/fails with the reason.</summary>
    public static void RequireRoot(string why)
    {
        if (!IsRoot)
        {
            Missing($"needs root ({why})");
        }
    }

    /// <summary>Requires an executable on PATH (or an absolute path), or skips/fails with the reason.</summary>
    public static string RequireCommand(string command, string debianPackage)
    {
        string? path = FindOnPath(command);
        if (path is null)
        {
            Missing($"needs '{command}' (Debian package {debianPackage}; scripts/install-prereqs.sh installs it)");
        }

        return path!;
    }

    /// <summary>Finds an executable the way a shell would, or null.</summary>
    public static string? FindOnPath(string command)
    {
        if (Path.IsPathRooted(command))
        {
            return File.Exists(command) ? command : null;
        }

        string[] dirs = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"])
            .ToArray();
        foreach (string dir in dirs)
        {
            string candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Skips (developer machine) or fails (CI) the current test with <paramref name="reason"/>.</summary>
    public static void Missing(string reason)
    {
        if (IsCi)
        {
            Assert.Fail($"prerequisite missing under CI=true: {reason}");
        }

        Console.Error.WriteLine($"[skip] {reason}");
        Assert.Skip(reason);
    }

    private static int GetEuid()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("id", "-u") { RedirectStandardOutput = true });
            if (p is null)
            {
                return -1;
            }

            string text = p.StandardOutput.ReadToEnd();
            p.WaitForExit(2000);
            return int.TryParse(text.Trim(), out int uid) ? uid : -1;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
