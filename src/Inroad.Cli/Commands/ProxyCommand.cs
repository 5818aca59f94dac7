using System.CommandLine;
using System.Runtime.CompilerServices;
using Inroad.Brokers;
using Inroad.Proxy;
using Inroad.Sessions.Keys;

namespace Inroad.Cli.Commands;

/// <summary>
/// <c>inroad proxy --config proxy.json</c>: runs a volunteer proxy until interrupted, printing its proxy ID
/// once and a status line whenever the number of clients changes (and at most once a minute otherwise).
/// </summary>
internal static class ProxyCommand
{
    private static readonly TimeSpan QuietStatusPeriod = TimeSpan.FromMinutes(1);

    public static Command Configure(Command command, Option<FileInfo> config)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            FileInfo file = parseResult.GetValue(config)!;
            ProxyConfig settings;
            SessionPrivateKey key;
            bool created;
            try
            {
                settings = ProxyConfig.Load(file.FullName);
                key = settings.LoadOrCreateKey(file.DirectoryName ?? ".", out created);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"inroad proxy: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            using (key)
            {
                using var brokers = new BrokerClient(settings.ToBrokerClientOptions(key));
                var proxy = new InproxyProxy(settings.ToProxyOptions(brokers));
                await using ConfiguredAsyncDisposable scope = proxy.ConfigureAwait(false);
                await output.WriteLineAsync($"proxy ID {brokers.Id}{(created ? " (new key written to " + settings.KeyFile + ")" : "")}").ConfigureAwait(false);
                (int Connecting, int Connected) shown = (-1, -1);
                DateTime shownAt = DateTime.MinValue;
                proxy.Activity += a =>
                {
                    if ((a.Connecting, a.Connected) == shown && DateTime.UtcNow - shownAt < QuietStatusPeriod)
                    {
                        return;
                    }

                    shown = (a.Connecting, a.Connected);
                    shownAt = DateTime.UtcNow;
                    output.WriteLine($"announcing {a.Announcing}, connecting {a.Connecting}, connected {a.Connected}, up {a.BytesUp} B, down {a.BytesDown} B");
                };
                await proxy.RunAsync(cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
