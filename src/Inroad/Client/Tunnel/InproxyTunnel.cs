using Inroad.Sessions.Streams;
using Inroad.Tunnel;

namespace Inroad.Client.Tunnel;

/// <summary>
/// One established tunnel: the secure channel to the server's static key over a path through a proxy, the API
/// handshake done (the server verified the broker's report), and the stream multiplexer running on top.
/// </summary>
internal sealed class InproxyTunnel : IAsyncDisposable
{
    private readonly IInproxyTransport _transport;
    private readonly SecureTunnelStream _secure;
    private readonly MuxSession _mux;

    private InproxyTunnel(IInproxyTransport transport, SecureTunnelStream secure, MuxSession mux)
    {
        _transport = transport;
        _secure = secure;
        _mux = mux;
        Completion = Task.WhenAny(mux.Completion, transport.Completion);
    }

    /// <summary>Completes when the tunnel ended (server, proxy or path gone).</summary>
    public Task Completion { get; }

    /// <summary>After <see cref="Completion"/>: which side ended the tunnel, for logs.</summary>
    public string EndReason =>
        _transport.Completion.IsCompleted ? $"path through the proxy ended{Describe(_transport.Completion)}"
        : _mux.Completion.IsCompleted ? $"tunnel stream ended{(_mux.EndError is { } e ? $" ({e.GetType().Name}: {e.Message})" : "")}"
        : "running";

    /// <summary>The path this tunnel runs over.</summary>
    public IInproxyTransport Transport => _transport;

    /// <summary>
    /// Runs the secure handshake and the API handshake over <paramref name="transport"/>. On failure the transport is
    /// disposed and <see cref="ClientTunnelException"/> thrown.
    /// </summary>
    public static async Task<InproxyTunnel> EstablishAsync(IInproxyTransport transport, ServerIdentity server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(server);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        SecureTunnelStream? secure = null;
        try
        {
            secure = await SecureTunnelStream.ConnectAsync(transport.Stream, server.PublicKey, server.ObfuscationSecret, server.Options, deadline.Token).ConfigureAwait(false);
            await ClientApiHandshake.RunAsync(secure, transport, deadline.Token).ConfigureAwait(false);
            return new InproxyTunnel(transport, secure, MuxSession.StartClient(secure));
        }
        catch (Exception e)
        {
            if (secure is not null)
            {
                await secure.DisposeAsync().ConfigureAwait(false);
            }

            await transport.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw e as ClientTunnelException ?? new ClientTunnelException($"tunnel handshake failed: {e.GetType().Name}", e);
        }
    }

    /// <summary>Opens a stream to "host:port" (resolved by the server).</summary>
    public Task<MuxStream> OpenStreamAsync(string target, CancellationToken cancellationToken) => _mux.OpenStreamAsync(target, cancellationToken);

    private static string Describe(Task task) => task switch
    {
        { Exception.InnerException: { } e } => $" ({e.GetType().Name}: {e.Message})",
        // The path's completion may carry a close reason (the SCTP association's); show it, whatever its type.
        { IsCompletedSuccessfully: true } when task.GetType().IsGenericType => $" ({task.GetType().GetProperty("Result")?.GetValue(task)})",
        _ => "",
    };

    public async ValueTask DisposeAsync()
    {
        await _mux.DisposeAsync().ConfigureAwait(false);
        await _secure.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
    }
}
