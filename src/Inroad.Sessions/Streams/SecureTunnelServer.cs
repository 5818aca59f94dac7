using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Sessions.Streams;

/// <summary>
/// The accepting side of <see cref="SecureTunnelStream"/> for one tunnel server identity. It remembers
/// handshake salts so a recorded first flight replayed by a censor gets the same silence as garbage.
/// Thread-safe; one instance serves every connection of a listener.
/// </summary>
public sealed class SecureTunnelServer
{
    private readonly SessionPrivateKey _key;
    private readonly ObfuscationSecret _secret;
    private readonly SecureTunnelOptions _options;
    private readonly ReplayHistory _replays;

    /// <param name="key">The server's static key; its public half is in the signed server entry.</param>
    /// <param name="secret">The server's obfuscation secret, also in the server entry.</param>
    /// <param name="options">Options; defaults when null.</param>
    /// <param name="replayCapacity">Handshakes remembered per rotation period (10 min). Defaults to 1 M.</param>
    public SecureTunnelServer(SessionPrivateKey key, ObfuscationSecret secret, SecureTunnelOptions? options = null, long replayCapacity = 1_000_000)
    {
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _secret = secret ?? throw new ArgumentNullException(nameof(secret));
        _options = options ?? new SecureTunnelOptions();
        _options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(replayCapacity, 1000);

        // Salts older than two periods are caught by the timestamp check, whose window (±MaxClockSkew) must
        // be shorter than the history's memory.
        _replays = new ReplayHistory(replayCapacity, 0.001, _options.MaxClockSkew * 2, _options.TimeProvider);
    }

    /// <summary>
    /// Runs the server side of the handshake. Returns the secure stream, or null when the peer failed it
    /// (after holding the connection silently for a random time, then closing it).
    /// </summary>
    public Task<SecureTunnelStream?> AcceptAsync(Stream transport, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return SecureTunnelStream.AcceptAsync(transport, _key, _secret, _replays, _options, cancellationToken);
    }
}
