namespace Inroad.Client.Dial;

/// <summary>Why an in-proxy dial gave up.</summary>
internal enum InproxyDialFailure
{
    /// <summary>The broker said Limited (rate limit, refused destination, proxy answer error): do not retry this dial.</summary>
    Limited,

    /// <summary>The broker said our protocol version is too old.</summary>
    MustUpgrade,

    /// <summary>The dial timeout passed before a data channel opened (every try got NoMatch or failed locally).</summary>
    Timeout,

    /// <summary>The broker request failed (transport, session, or an undecodable response); the broker client was rotated.</summary>
    Failed,
}
