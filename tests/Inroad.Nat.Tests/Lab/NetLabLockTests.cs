using Inroad.Testing.NetLab;

namespace Inroad.Nat.Tests.Lab;

/// <summary>The machine-wide lab lock's queue, on a lock file of its own (no lab, no root needed).</summary>
public sealed class NetLabLockTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("inroad-netlab-lock-").FullName;

    private string LockPath => Path.Combine(_directory, "lab.lock");

    private string QueuePath => Path.Combine(_directory, "lab.queue");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_waiter_gets_the_lock_before_a_holder_that_asks_again_at_once()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        NetLabLock first = await NetLabLock.AcquireAsync(TimeSpan.FromMinutes(1), cts.Token, LockPath);
        Task<NetLabLock> waiter = NetLabLock.AcquireAsync(TimeSpan.FromMinutes(1), cts.Token, LockPath);
        while (Tickets().Length == 0)
        {
            await Task.Delay(10, cts.Token);
        }

        // The pattern that starved other processes: release, then the same process asks again within microseconds.
        first.Dispose();
        Task<NetLabLock> again = NetLabLock.AcquireAsync(TimeSpan.FromMinutes(1), cts.Token, LockPath);
        using (NetLabLock w = await waiter.WaitAsync(cts.Token))
        {
            await Task.Delay(200, cts.Token); // several polls of the newcomer while the waiter holds the lock
            Assert.False(again.IsCompleted, "the newcomer got the lock while the waiter held it");
        }

        using NetLabLock a = await again.WaitAsync(cts.Token);
        Assert.Empty(Tickets());
    }

    [Fact]
    public async Task A_ticket_left_by_a_dead_process_is_removed_and_skipped()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        Directory.CreateDirectory(QueuePath);
        string dead = Path.Combine(QueuePath, "0000000000000000001-1-1-dead"); // older than any real ticket, and nobody holds its flock
        await File.WriteAllTextAsync(dead, "", cts.Token);

        using NetLabLock got = await NetLabLock.AcquireAsync(TimeSpan.FromSeconds(5), cts.Token, LockPath);
        Assert.False(File.Exists(dead));
    }

    [Fact]
    public async Task A_holder_that_never_lets_go_fails_the_wait_with_a_timeout()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        using NetLabLock holder = await NetLabLock.AcquireAsync(TimeSpan.FromMinutes(1), cts.Token, LockPath);
        await Assert.ThrowsAsync<TimeoutException>(() => NetLabLock.AcquireAsync(TimeSpan.FromMilliseconds(300), cts.Token, LockPath));
        Assert.Empty(Tickets()); // the failed waiter left the queue
    }

    private string[] Tickets() => Directory.Exists(QueuePath) ? Directory.GetFiles(QueuePath) : [];
}
