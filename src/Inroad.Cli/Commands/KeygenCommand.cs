using System.CommandLine;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Protocol;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Cli.Commands;

/// <summary>
/// <c>inroad keygen --kind identity|secret|compartment|signing-key</c>: prints fresh key material as
/// <c>name: value</c> lines. Keys come from the system CSPRNG.
/// </summary>
internal static class KeygenCommand
{
    public static Command Configure(Command command, Option<string> kind, Option<FileInfo> output)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string? text = parseResult.GetValue(kind) switch
            {
                "identity" => Identity(),
                "secret" => $"obfuscationSecret: {ObfuscationSecret.Generate().Export()}\n",
                "compartment" => Compartment(),
                "signing-key" or "server-entry" => SigningKey(),
                _ => null,
            };
            if (text is null)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("inroad keygen: --kind must be identity, secret, compartment or signing-key").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            if (parseResult.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, text, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await parseResult.InvocationConfiguration.Output.WriteAsync(text).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string Identity()
    {
        using SessionPrivateKey key = SessionPrivateKey.Generate();
        return $"privateKey: {key.Export()}\npublicKey: {key.PublicKey}\n";
    }

    private static string Compartment()
    {
        Id32 id = Id32.NewRandom();
        return $"compartmentId: {id.ToHex()}\npairing: {PairingString.Encode(id)}\n";
    }

    private static string SigningKey()
    {
        byte[] seed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        return $"signingSeed: {Convert.ToBase64String(seed)}\nsigningPublicKey: {Convert.ToBase64String(SignedServerEntry.PublicKeyOf(seed))}\n";
    }
}
