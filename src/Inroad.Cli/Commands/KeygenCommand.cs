using System.CommandLine;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Protocol;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Cli.Commands;

/// <summary>The options of <c>inroad keygen --kind server-entry</c>.</summary>
internal sealed record ServerEntryOptions(Option<FileInfo> Server, Option<string> SigningSeed, Option<string> Tag);

/// <summary>
/// <c>inroad keygen --kind identity|secret|compartment|signing-key|server-entry</c>: prints fresh key material, or a
/// tunnel server's signed entry, as <c>name: value</c> lines. Keys come from the system CSPRNG.
/// </summary>
internal static class KeygenCommand
{
    public static Command Configure(Command command, Option<string> kind, Option<FileInfo> output, ServerEntryOptions entry)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string? text;
            try
            {
                text = parseResult.GetValue(kind) switch
                {
                    "identity" => Identity(),
                    "secret" => $"obfuscationSecret: {ObfuscationSecret.Generate().Export()}\n",
                    "compartment" => Compartment(),
                    "signing-key" => SigningKey(),
                    "server-entry" => ServerEntryLines(parseResult.GetValue(entry.Server), parseResult.GetValue(entry.SigningSeed), parseResult.GetValue(entry.Tag)),
                    _ => null,
                };
            }
            catch (Exception e) when (e is FormatException or IOException or System.Text.Json.JsonException or InvalidDataException or UnauthorizedAccessException)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"inroad keygen: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            if (text is null)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("inroad keygen: --kind must be identity, secret, compartment, signing-key or server-entry").ConfigureAwait(false);
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

    private static string ServerEntryLines(FileInfo? serverConfig, string? signingSeed, string? tag)
    {
        if (serverConfig is null || string.IsNullOrEmpty(signingSeed))
        {
            throw new FormatException("--kind server-entry needs --server server.json and --signing-seed");
        }

        byte[] seed;
        try
        {
            seed = Convert.FromBase64String(signingSeed);
        }
        catch (FormatException)
        {
            throw new FormatException("--signing-seed is not base64");
        }

        if (seed.Length != 32)
        {
            throw new FormatException("--signing-seed must be 32 bytes");
        }

        Inroad.Server.ServerConfig server = Inroad.Server.ServerConfig.Load(serverConfig.FullName);
        tag ??= Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        byte[] signed = SignedServerEntry.Sign(server.ToServerEntry(tag), seed);
        return $"tag: {tag}\nserverEntry: {Convert.ToBase64String(signed)}\n";
    }

    private static string SigningKey()
    {
        byte[] seed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        return $"signingSeed: {Convert.ToBase64String(seed)}\nsigningPublicKey: {Convert.ToBase64String(SignedServerEntry.PublicKeyOf(seed))}\n";
    }
}
