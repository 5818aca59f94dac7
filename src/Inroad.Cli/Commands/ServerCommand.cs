using System.CommandLine;
using Inroad.Server;
using Inroad.Server.BrokerReports;
using Inroad.Server.Quality;
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
            ProxyQualityReporterOptions? quality;
            try
            {
                settings = ServerConfig.Load(parseResult.GetValue(config)!.FullName);
                key = SessionPrivateKey.Parse(settings.SessionPrivateKey);
                secret = ObfuscationSecret.Parse(settings.ObfuscationSecret);
                brokers = settings.Brokers();
                policy = settings.TargetPolicy();
                quality = settings.ProxyQualityOptions(key);
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
                if (quality is not null)
                {
                    quality.LoggerFactory = logging;
                }

                // Disposed after the server: what its last tunnels counted is flushed to the brokers.
                ProxyQualityReporter? reporter = quality is null ? null : new ProxyQualityReporter(quality);
                await using (reporter)
                {
                    InproxyTunnelServer server = InproxyTunnelServer.Start(new InproxyTunnelServerOptions
                    {
                        Listen = settings.ListenEndPoint,
                        PrivateKey = key,
                        ObfuscationSecret = secret,
                        Reports = reports,
                        TargetPolicy = policy,
                        Geo = settings.Geo(),
                        ProxyQuality = reporter,
                        LoggerFactory = logging,
                    });
                    await using (server.ConfigureAwait(false))
                    {
                        string qualityNote = reporter is null ? "" : $"; proxy quality reported to {quality!.Brokers.Count} broker(s)";
                        await parseResult.InvocationConfiguration.Output.WriteLineAsync($"server: in-proxy listener on {server.LocalEndPoint}{qualityNote}").ConfigureAwait(false);
                        await CliLogging.WaitForStopAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
