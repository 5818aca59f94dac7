using System.Threading.Tasks.Sources;

namespace Inroad.Broker.Matching;

/// <summary>
/// What an announcement and an offer share: a one-shot completion with the <see cref="ProxyMatch"/> (or
/// null: expired, dropped or withdrawn) that the broker's long poll awaits. It is the ticket itself that
/// the <see cref="ValueTask{TResult}"/> wraps, so a queued entry carries four fields instead of a
/// separate Task and TaskCompletionSource (about 70 bytes saved per queued entry, which is what millions
/// of long-polling proxies cost). One await per ticket, as for any ValueTask.
/// </summary>
/// <remarks>
/// The matcher completes tickets under its lock, so continuations always run on the thread pool, never
/// inline. The scheduling context is not captured (the broker has none); the execution context flows
/// only when the awaiter asks for it (the async state machine flows its own).
/// </remarks>
internal abstract class MatchTicket : IValueTaskSource<ProxyMatch?>
{
    private const int Pending = 0;
    private const int Completing = 1;
    private const int Done = 2;

    // Marks "completed before anyone awaited" in _continuation.
    private static readonly Action<object?> CompletedSentinel = static _ => throw new InvalidOperationException("completion sentinel invoked");

    private Action<object?>? _continuation;
    private object? _continuationState;
    private ProxyMatch? _result;
    private int _state;

    /// <summary>True once the ticket has its outcome.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) == Done;

    /// <summary>The outcome; only meaningful when <see cref="IsCompleted"/>.</summary>
    public ProxyMatch? Result => IsCompleted ? _result : throw new InvalidOperationException("The ticket is not complete.");

    /// <summary>Waits for the outcome: the match, or null when the ticket expired or was withdrawn. Await once.</summary>
    public ValueTask<ProxyMatch?> WaitAsync() => new(this, 0);

    /// <summary>Completes the ticket; false when it already was.</summary>
    internal bool TrySetResult(ProxyMatch? match)
    {
        if (Interlocked.CompareExchange(ref _state, Completing, Pending) != Pending)
        {
            return false;
        }

        _result = match;
        Volatile.Write(ref _state, Done);
        Action<object?>? continuation = Interlocked.Exchange(ref _continuation, CompletedSentinel);
        if (continuation is not null)
        {
            _ = ThreadPool.UnsafeQueueUserWorkItem(continuation, _continuationState, preferLocal: false);
        }

        return true;
    }

    ValueTaskSourceStatus IValueTaskSource<ProxyMatch?>.GetStatus(short token) =>
        IsCompleted ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;

    ProxyMatch? IValueTaskSource<ProxyMatch?>.GetResult(short token) => Result;

    void IValueTaskSource<ProxyMatch?>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0 && ExecutionContext.Capture() is { } context)
        {
            Action<object?> inner = continuation;
            continuation = s => ExecutionContext.Run(context, c => inner(c), s);
        }

        _continuationState = state;
        Action<object?>? previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
        if (ReferenceEquals(previous, CompletedSentinel))
        {
            _ = ThreadPool.UnsafeQueueUserWorkItem(continuation, state, preferLocal: false);
        }
        else if (previous is not null)
        {
            throw new InvalidOperationException("A ticket is awaited once.");
        }
    }
}
