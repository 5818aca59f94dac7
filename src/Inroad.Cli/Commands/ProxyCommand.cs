using System.CommandLine;
using Inroad.Brokers;
using Inroad.Proxy;
using Inroad.Sessions.Keys;
using Microsoft.Extensions.Logging;

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
                using ILoggerFactory logging = CliLogging.Create();
                using var brokers = new BrokerClient(settings.ToBrokerClientOptions(key, logging));

                // Personal slots meet their clients at the compartment's rendezvous brokers (same key, so same proxy ID).
                using BrokerClient? personalBrokers = settings.PersonalSlots > 0 ? new BrokerClient(settings.ToBrokerClientOptions(key, logging, personal: true)) : null;
                Inroad.Network.HostNat nat = settings.CreateHostNat(logging);
                await using System.Runtime.CompilerServices.ConfiguredAsyncDisposable natLifetime = nat.ConfigureAwait(false);

                // One loop per kind of slot (common, personal), both under this proxy ID and one host NAT state.
                InproxyProxy[] loops = [.. settings.ToProxyOptions(brokers, logging, nat, personalBrokers).Select(o => new InproxyProxy(o))];
                await output.WriteLineAsync($"proxy ID {brokers.Id}{(created ? " (new key written to " + settings.KeyFile + ")" : "")}").ConfigureAwait(false);
                await output.WriteLineAsync($"serving {settings.CommonSlots} common and {settings.PersonalSlots} personal clients").ConfigureAwait(false);
                (int Connecting, int Connected) shown = (-1, -1);
                DateTime shownAt = DateTime.MinValue;
                var shownLock = new Lock();
                foreach (InproxyProxy loop in loops)
                {
                    loop.Activity += _ =>
                    {
                        ProxyActivity[] all = [.. loops.Select(l => l.Snapshot())];
                        (int Connecting, int Connected) now = (all.Sum(a => a.Connecting), all.Sum(a => a.Connected));
                        lock (shownLock)
                        {
                            if (now == shown && DateTime.UtcNow - shownAt < QuietStatusPeriod)
                            {
                                return;
                            }

                            shown = now;
                            shownAt = DateTime.UtcNow;
                        }

                        output.WriteLine($"announcing {all.Sum(a => a.Announcing)}, connecting {now.Connecting}, connected {now.Connected}, up {all.Sum(a => a.BytesUp)} B, down {all.Sum(a => a.BytesDown)} B");
                    };
                }

                try
                {
                    await Task.WhenAll(loops.Select(l => l.RunAsync(cancellationToken))).ConfigureAwait(false);
                }
                finally
                {
                    foreach (InproxyProxy loop in loops)
                    {
                        await loop.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
