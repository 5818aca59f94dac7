namespace Inroad.Testing;

/// <summary>"Does not allocate" as a test: measures bytes allocated on this thread by an action.</summary>
public static class AllocationGuard
{
    /// <summary>Runs <paramref name="action"/> once to warm up, then <paramref name="iterations"/> times, and returns bytes allocated per iteration.</summary>
    public static double BytesPerIteration(Action action, int iterations = 1000)
    {
        ArgumentNullException.ThrowIfNull(action);
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < iterations; i++)
        {
            action();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)iterations;
    }
}
