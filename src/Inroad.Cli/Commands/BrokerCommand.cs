using System.CommandLine;
using System.Runtime.CompilerServices;
using Inroad.Broker.Http;
using Inroad.Broker.Service;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Microsoft.Extensions.Logging;

namespace Inroad.Cli.Commands;

/// <summary><c>inroad broker --config broker.json</c>: runs the broker until interrupted.</summary>
internal static class BrokerCommand
{
    public static Command Configure(Command command, Option<FileInfo> config)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            FileInfo file = parseResult.GetValue(config)!;
            BrokerConfig settings = BrokerConfig.Load(file.FullName);
            using ILoggerFactory logging = CliLogging.Create();
            var service = new BrokerService(settings.ToServiceOptions(logging));
            await using ConfiguredAsyncDisposable serviceScope = service.ConfigureAwait(false); // disposed after the host (declared first)
            using var sessions = new ResponderSessions(new ResponderSessionsOptions
            {
                PrivateKey = SessionPrivateKey.Parse(settings.SessionPrivateKey),
                ObfuscationSecret = ObfuscationSecret.Parse(settings.ObfuscationSecret),
                LoggerFactory = logging,
            });
            BrokerHttpHost host = await BrokerHttpHost.StartAsync(settings.ToHostOptions(), service, sessions, cancellationToken).ConfigureAwait(false);
            await using ConfiguredAsyncDisposable hostScope = host.ConfigureAwait(false);
            await parseResult.InvocationConfiguration.Output.WriteLineAsync($"broker listening on {host.Address}").ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
