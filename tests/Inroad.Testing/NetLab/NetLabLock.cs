using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Inroad.Nat.Tests")]

namespace Inroad.Testing.NetLab;

/// <summary>
/// The machine-wide lock that serializes lab tests across every test process, first come first served.
/// <para>
/// The lock itself is an exclusive <see cref="FileShare.None"/> open of <c>/run/inroad-netlab.lock</c>, which .NET
/// maps to <c>flock(2)</c>, so the kernel releases it when a process dies. .NET has no blocking open, so waiters poll;
/// polling alone is unfair: a process running its lab tests one after another takes the lock again within
/// milliseconds of releasing it, and a waiter in another process polling every 200 ms practically never wins.
/// </para>
/// <para>
/// So waiters queue: each takes a ticket, a file in <c>/run/inroad-netlab.queue</c> named by the time it arrived and
/// held with the same kind of flock, and only the oldest live ticket tries the lock. A ticket whose file can be locked
/// belongs to a dead process and is removed by whoever finds it. The queue decides order only; the lock file alone
/// decides who runs, so a racing or older waiter (one that does not queue) can never make two labs run at once.
/// </para>
/// </summary>
internal sealed class NetLabLock : IDisposable
{
    internal const string DefaultLockPath = "/run/inroad-netlab.lock";
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private static long s_tickets;
    private readonly FileStream _stream;

    private NetLabLock(FileStream stream) => _stream = stream;

    /// <summary>
    /// Queues for the lock and waits for it until <paramref name="ct"/> is cancelled. Throws <see cref="TimeoutException"/>
    /// when the queue ahead stands still for <paramref name="stall"/>: a long queue that moves is waited out, one lab
    /// that holds the lock that long is not.
    /// </summary>
    public static async Task<NetLabLock> AcquireAsync(TimeSpan stall, CancellationToken ct, string lockPath = DefaultLockPath)
    {
        using Ticket ticket = Ticket.Take(Path.ChangeExtension(lockPath, ".queue"));
        int ahead = int.MaxValue;
        long moved = Stopwatch.GetTimestamp();
        while (true)
        {
            int now = ticket.LiveAhead();
            if (now < ahead)
            {
                (ahead, moved) = (now, Stopwatch.GetTimestamp());
            }

            if (now == 0 && TryLock(lockPath) is { } stream)
            {
                return new NetLabLock(stream); // leaving the queue (disposing the ticket) lets the next waiter poll
            }

            if (Stopwatch.GetElapsedTime(moved) > stall)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"The lab lock {lockPath} did not come free: {(now == 0 ? "its holder" : $"the {now} waiter(s) ahead")} did not move for {stall}."));
            }

            await Task.Delay(Poll, ct).ConfigureAwait(false);
        }
    }

    public void Dispose() => _stream.Dispose();

    private static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A place in the queue: a file this process holds locked, removed when it leaves.</summary>
    private sealed class Ticket : IDisposable
    {
        private readonly string _directory;
        private readonly string _name;
        private readonly FileStream _stream;

        private Ticket(string directory, string name, FileStream stream) => (_directory, _name, _stream) = (directory, name, stream);

        /// <summary>Joins the queue: the file is created and locked under a hidden name, then renamed into place (the lock follows), so no live ticket is ever seen unlocked.</summary>
        public static Ticket Take(string directory)
        {
            Directory.CreateDirectory(directory);
            string name = string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId}-{Interlocked.Increment(ref s_tickets)}-{Guid.NewGuid():N}");
            string hidden = Path.Combine(directory, "." + name);
            var stream = new FileStream(hidden, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            try
            {
                File.Move(hidden, Path.Combine(directory, name));
                return new Ticket(directory, name, stream);
            }
            catch
            {
                File.Delete(hidden);
                stream.Dispose();
                throw;
            }
        }

        /// <summary>Live tickets that arrived before this one; dead ones found on the way are removed.</summary>
        public int LiveAhead()
        {
            int live = 0;
            foreach (string path in Directory.EnumerateFiles(_directory))
            {
                string name = Path.GetFileName(path);
                if (name.StartsWith('.'))
                {
                    // A ticket being created; one left behind by a process that died in Take is removed once it is old.
                    if (File.GetLastWriteTimeUtc(path) < DateTime.UtcNow - TimeSpan.FromMinutes(1))
                    {
                        IsAliveOrRemove(path);
                    }
                }
                else if (string.CompareOrdinal(name, _name) < 0 && IsAliveOrRemove(path))
                {
                    live++;
                }
            }

            return live;
        }

        public void Dispose()
        {
            File.Delete(Path.Combine(_directory, _name));
            _stream.Dispose();
        }

        private static bool IsAliveOrRemove(string path)
        {
            try
            {
                using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
                File.Delete(path); // we could lock it: its owner is gone
                return false;
            }
            catch (FileNotFoundException)
            {
                return false; // left the queue meanwhile
            }
            catch (IOException)
            {
                return true;
            }
        }
    }
}
