namespace Inroad.Sessions.Tests.Sessions;

/// <summary>Counts calls; can fail after recording the first response.</summary>
internal sealed class CountingRoundTripper(IRoundTripper inner) : IRoundTripper
{
    public int Calls;

    public bool StopAfterFirst { get; init; }

    public ReadOnlyMemory<byte>? FirstResponse { get; private set; }

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        int n = Interlocked.Increment(ref Calls);
        ReadOnlyMemory<byte> response = await inner.RoundTripAsync(packet, delay, timeout, cancellationToken);
        if (n == 1)
        {
            FirstResponse = response.ToArray();
            if (StopAfterFirst)
            {
                throw new IOException("recorder stops here");
            }
        }

        return response;
    }
}

/// <summary>Always answers with the same bytes.</summary>
internal sealed class FixedResponseRoundTripper(ReadOnlyMemory<byte> response) : IRoundTripper
{
    public ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken) =>
        ValueTask.FromResult(response);
}

/// <summary>Holds every call until <see cref="Fail"/>.</summary>
internal sealed class GatedRoundTripper : IRoundTripper
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Calls;

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Fail() => _release.TrySetException(new IOException("network down"));

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        Entered.TrySetResult();
        await _release.Task.WaitAsync(cancellationToken);
        return ReadOnlyMemory<byte>.Empty;
    }
}
