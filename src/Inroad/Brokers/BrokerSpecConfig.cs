using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Brokers;

/// <summary>A broker as configuration files name it (base64 keys as <c>inroad keygen</c> prints them).</summary>
internal sealed class BrokerSpecConfig
{
    /// <summary>The broker's URL, e.g. https://broker.example/inroad-broker.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>The broker's session public key.</summary>
    public string PublicKey { get; set; } = "";

    /// <summary>The broker's root obfuscation secret.</summary>
    public string ObfuscationSecret { get; set; } = "";

    /// <summary>Host header to send (domain fronting); null sends the URL's host.</summary>
    public string? FrontingHost { get; set; }

    /// <summary>Parses; throws <see cref="FormatException"/> naming the bad field.</summary>
    public BrokerSpec ToSpec()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new FormatException($"broker url '{Endpoint}' is not an http(s) URL");
        }

        if (!SessionPublicKey.TryParse(PublicKey, out SessionPublicKey? key))
        {
            throw new FormatException($"broker publicKey of {Endpoint} is not a valid key");
        }

        if (!Sessions.Obfuscation.ObfuscationSecret.TryParse(ObfuscationSecret, out ObfuscationSecret? secret))
        {
            throw new FormatException($"broker obfuscationSecret of {Endpoint} is not a valid secret");
        }

        return new BrokerSpec(uri, new ResponderIdentity(key!, secret!), FrontingHost);
    }
}
