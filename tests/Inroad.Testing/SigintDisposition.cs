namespace Inroad.Testing;

/// <summary>
/// Tests that stop a child with SIGINT (Ctrl-C) need the child to handle it. A process started in the background
/// of a non-interactive shell (<c>cmd &amp;</c>, nohup) inherits SIGINT as ignored, and the .NET runtime then leaves
/// it ignored, as Unix programs should, so such a child never sees Ctrl-C. <see cref="Wrap"/> puts the child behind
/// a one-line exec wrapper that restores the default disposition first, only when this process ignores SIGINT.
/// </summary>
public static class SigintDisposition
{
    private const string ResetAndExec =
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])";

    /// <summary>True when this process ignores SIGINT (bit 1 of SigIgn in /proc/self/status).</summary>
    public static bool IsIgnored { get; } = ReadIgnored();

    /// <summary><paramref name="command"/>, behind the reset wrapper when SIGINT is ignored here; the wrapper execs, so the PID stays the child's.</summary>
    public static IReadOnlyList<string> Wrap(IReadOnlyList<string> command) =>
        IsIgnored ? ["python3", "-c", ResetAndExec, .. command] : command;

    private static bool ReadIgnored()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                {
                    ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
                    return (mask & (1UL << (2 - 1))) != 0; // SIGINT = 2
                }
            }
        }
        catch (IOException)
        {
        }

        return false;
    }
}
