using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Sessions;

/// <summary>What an initiator must know about a responder in advance: its public key and root obfuscation secret.</summary>
/// <param name="PublicKey">The responder's Ed25519 identity (its X25519 form is the Noise static key).</param>
/// <param name="ObfuscationSecret">The responder's root obfuscation secret.</param>
public sealed record ResponderIdentity(SessionPublicKey PublicKey, ObfuscationSecret ObfuscationSecret);
