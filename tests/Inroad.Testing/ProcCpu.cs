using System.Globalization;

namespace Inroad.Testing;

/// <summary>
/// CPU time of processes read from <c>/proc</c> (user + system, clock ticks of 1/100 s, Linux's USER_HZ), for
/// benches that report CPU per megabyte of another process (a browser, a child peer, an impairer).
/// </summary>
public static class ProcCpu
{
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds of one process (0 when it is gone).</summary>
    public static double Seconds(int pid) => Read($"/proc/{pid}/stat") is { } s ? s.Ticks / TicksPerSecond : 0;

    /// <summary>CPU seconds of one thread (<paramref name="tid"/>, as gettid returns it) of process <paramref name="pid"/>.</summary>
    public static double Seconds(int pid, int tid) => Read($"/proc/{pid}/task/{tid}/stat") is { } s ? s.Ticks / TicksPerSecond : 0;

    /// <summary>CPU seconds of <paramref name="pid"/> and every live descendant.</summary>
    public static double TreeSeconds(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        var ticks = new Dictionary<int, long>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int p) || Read(dir + "/stat") is not { } s)
            {
                continue;
            }

            ticks[p] = s.Ticks;
            if (!children.TryGetValue(s.Parent, out List<int>? list))
            {
                children[s.Parent] = list = [];
            }

            list.Add(p);
        }

        long total = 0;
        var pending = new Stack<int>([pid]);
        while (pending.TryPop(out int p))
        {
            total += ticks.GetValueOrDefault(p);
            foreach (int c in children.GetValueOrDefault(p) ?? [])
            {
                pending.Push(c);
            }
        }

        return total / TicksPerSecond;
    }

    private static (int Parent, long Ticks)? Read(string path)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ..." — comm may hold spaces and parentheses, so split after the last ')'.
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        string[] f = stat[(close + 2)..].Split(' ');
        // f[0] = state (field 3), f[1] = ppid (4), f[11] = utime (14), f[12] = stime (15)
        if (f.Length < 13)
        {
            return null;
        }

        return (int.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture));
    }
}
