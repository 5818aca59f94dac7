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

    /// <summary>Parses; throws <see cref="FormatException"/> whose message starts with the bad field's name.</summary>
    public BrokerSpec ToSpec()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new FormatException($"endpoint: '{Endpoint}' is not an http(s) URL");
        }

        if (!SessionPublicKey.TryParse(PublicKey, out SessionPublicKey? key))
        {
            throw new FormatException("publicKey: not a session public key");
        }

        if (!Sessions.Obfuscation.ObfuscationSecret.TryParse(ObfuscationSecret, out ObfuscationSecret? secret))
        {
            throw new FormatException("obfuscationSecret: not a 32-byte secret");
        }

        return new BrokerSpec(uri, new ResponderIdentity(key!, secret!), FrontingHost);
    }

    /// <summary>
    /// Parses a configuration's broker list; throws <see cref="FormatException"/> whose message names the field, e.g.
    /// <c>brokers[1].publicKey: …</c>, or says the list is empty.
    /// </summary>
    public static IReadOnlyList<BrokerSpec> ToSpecs(IReadOnlyList<BrokerSpecConfig>? brokers, string field)
    {
        if (brokers is not { Count: > 0 })
        {
            throw new FormatException($"{field}: at least one broker is required");
        }

        var specs = new BrokerSpec[brokers.Count];
        for (int i = 0; i < specs.Length; i++)
        {
            try
            {
                specs[i] = (brokers[i] ?? throw new FormatException("endpoint: missing")).ToSpec();
            }
            catch (FormatException e)
            {
                throw new FormatException($"{field}[{i}].{e.Message}", e);
            }
        }

        return specs;
    }
}
