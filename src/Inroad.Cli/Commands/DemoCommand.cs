using System.CommandLine;
using System.Diagnostics;
using Inroad.Client.Tunnel;
using Inroad.Config;
using Inroad.Demo;
using Inroad.Server.Quality;
using Microsoft.Extensions.Logging;

namespace Inroad.Cli.Commands;

/// <summary>
/// <c>inroad demo</c>: a broker, a tunnel server, proxies and a client on this machine with fresh keys and the embedded
/// settings; prints the SOCKS5 and HTTP ports once the tunnel is up, and stays up until Ctrl-C.
/// </summary>
internal static class DemoCommand
{
    public static Command Configure(Command command)
    {
        var socksPort = new Option<int>("--socks-port") { Description = "Local SOCKS5 port (0 picks a free one).", DefaultValueFactory = _ => 1080 };
        var httpPort = new Option<int>("--http-port") { Description = "Local HTTP proxy port (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        command.Options.Add(socksPort);
        command.Options.Add(httpPort);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            var started = Stopwatch.StartNew();
            DemoSettings settings = EmbeddedConfig.Default.Demo;
            using ILoggerFactory logging = CliLogging.Create(LogLevel.Warning);
            await output.WriteLineAsync($"inroad demo: starting a broker, a tunnel server, {settings.Proxies} proxies and a client on this machine").ConfigureAwait(false);
            DemoNetwork network = await DemoNetwork.StartAsync(
                new DemoNetworkOptions
                {
                    IncludeLoopbackCandidates = settings.IncludeLoopbackCandidates,
                    AllowLoopbackTargets = settings.AllowLoopbackTargets,
                    ProxyQuality = settings.ProxyQuality ? new ProxyQualityReporterOptions { RequestDelay = TimeSpan.FromSeconds(1) } : null,
                    LoggerFactory = logging,
                },
                cancellationToken).ConfigureAwait(false);
            await using (network.ConfigureAwait(false))
            {
                await output.WriteLineAsync($"  broker   {network.BrokerHost.Address}").ConfigureAwait(false);
                await output.WriteLineAsync($"  server   {network.Server.LocalEndPoint} (in-proxy listener{(network.ProxyQuality is null ? "" : "; reports proxy quality to the broker")})").ConfigureAwait(false);
                for (int i = 0; i < settings.Proxies; i++)
                {
                    DemoProxy proxy = network.StartProxy(maxCommonClients: settings.MaxCommonClientsPerProxy, maxPersonalClients: 0);
                    await output.WriteLineAsync($"  proxy {i + 1}  id {proxy.ProxyId.ToHex()[..16]}…").ConfigureAwait(false);
                }

                DemoClient client;
                try
                {
                    client = network.StartClient(socksPort: parseResult.GetValue(socksPort), httpPort: parseResult.GetValue(httpPort));
                }
                catch (System.Net.Sockets.SocketException e)
                {
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync(
                        $"inroad demo: cannot listen on the local proxy ports ({e.SocketErrorCode}); try --socks-port 0 --http-port 0").ConfigureAwait(false);
                    return ExitCodes.Usage;
                }

                client.Keeper.StatusChanged += s =>
                {
                    if (s.State == TunnelState.Connecting && s.TunnelsEstablished > 0)
                    {
                        output.WriteLine($"  tunnel   lost ({s.LastError}); redialing through another proxy");
                    }
                    else if (s.State == TunnelState.Connected && s.TunnelsEstablished > 1)
                    {
                        output.WriteLine($"  tunnel   up again (tunnel {s.TunnelsEstablished})");
                    }
                };

                try
                {
                    await client.Keeper.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return ExitCodes.Success;
                }

                await output.WriteLineAsync($"  tunnel   up in {started.Elapsed.TotalSeconds:F2} s").ConfigureAwait(false);
                await output.WriteLineAsync($"SOCKS5 127.0.0.1:{client.Proxy.SocksEndPoint!.Port}").ConfigureAwait(false);
                await output.WriteLineAsync($"HTTP   127.0.0.1:{client.Proxy.HttpEndPoint!.Port}").ConfigureAwait(false);
                await output.WriteLineAsync($"Try:   curl -x socks5h://127.0.0.1:{client.Proxy.SocksEndPoint.Port} https://example.com/").ConfigureAwait(false);
                await output.WriteLineAsync("Ctrl-C stops.").ConfigureAwait(false);
                await CliLogging.WaitForStopAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync("inroad demo: stopping").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
