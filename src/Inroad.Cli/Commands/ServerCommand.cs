using System.CommandLine;
using Inroad.Server;
using Inroad.Server.BrokerReports;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Microsoft.Extensions.Logging;

namespace Inroad.Cli.Commands;

/// <summary><c>inroad server --config server.json</c>: runs the tunnel server's in-proxy listener until interrupted.</summary>
internal static class ServerCommand
{
    public static Command Configure(Command command, Option<FileInfo> config)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter error = parseResult.InvocationConfiguration.Error;
            ServerConfig settings;
            SessionPrivateKey key;
            ObfuscationSecret secret;
            IReadOnlyList<SessionPublicKey> brokers;
            TargetPolicy policy;
            try
            {
                settings = ServerConfig.Load(parseResult.GetValue(config)!.FullName);
                key = SessionPrivateKey.Parse(settings.SessionPrivateKey);
                secret = ObfuscationSecret.Parse(settings.ObfuscationSecret);
                brokers = settings.Brokers();
                policy = settings.TargetPolicy();
            }
            catch (Exception e) when (e is IOException or FormatException or System.Text.Json.JsonException or InvalidDataException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"inroad server: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            using ILoggerFactory logging = CliLogging.Create();
            using (key)
            using (var reports = new ServerBrokerSessions(new ServerBrokerSessionsOptions
            {
                PrivateKey = key,
                ObfuscationSecret = secret,
                Brokers = brokers,
                LoggerFactory = logging,
            }))
            {
                InproxyTunnelServer server = InproxyTunnelServer.Start(new InproxyTunnelServerOptions
                {
                    Listen = settings.ListenEndPoint,
                    PrivateKey = key,
                    ObfuscationSecret = secret,
                    Reports = reports,
                    TargetPolicy = policy,
                    Geo = settings.Geo(),
                    LoggerFactory = logging,
                });
                await using (server.ConfigureAwait(false))
                {
                    await parseResult.InvocationConfiguration.Output.WriteLineAsync($"server: in-proxy listener on {server.LocalEndPoint}").ConfigureAwait(false);
                    await CliLogging.WaitForStopAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
