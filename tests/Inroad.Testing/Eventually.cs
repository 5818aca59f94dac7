namespace Inroad.Testing;

/// <summary>Waiting for a condition another thread makes true, instead of guessing with a fixed sleep.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds; <paramref name="cancellationToken"/> bounds the wait.</summary>
    public static async Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
