using Inroad.Sessions.Keys;

namespace Inroad.Sessions;

/// <summary>
/// Handles one request that arrived in a responder session. Returns the response payload, or null for a
/// one-way message (nothing is sent back).
/// </summary>
/// <param name="initiatorId">Who sent it: the initiator's X25519 public key, authenticated by the handshake.</param>
/// <param name="request">The request payload (a record), valid only until the returned task completes.</param>
/// <param name="cancellationToken">Cancelled when the caller gives up.</param>
public delegate ValueTask<byte[]?> SessionRequestHandler(PeerId initiatorId, ReadOnlyMemory<byte> request, CancellationToken cancellationToken);
