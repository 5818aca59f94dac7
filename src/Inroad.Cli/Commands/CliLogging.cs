using Microsoft.Extensions.Logging;

namespace Inroad.Cli.Commands;

/// <summary>Logging and lifetime shared by the long-running subcommands.</summary>
internal static class CliLogging
{
    /// <summary>
    /// Console logs on stderr, one line each, at the level named by <c>INROAD_LOG</c> (trace … critical; default information),
    /// so stdout stays for the lines scripts parse.
    /// </summary>
    public static ILoggerFactory Create(LogLevel? fallback = null)
    {
        LogLevel level = Enum.TryParse(Environment.GetEnvironmentVariable("INROAD_LOG"), ignoreCase: true, out LogLevel parsed)
            ? parsed
            : fallback ?? LogLevel.Information;
        return LoggerFactory.Create(b => b
            .SetMinimumLevel(level)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
    }

    /// <summary>Waits until Ctrl-C (System.CommandLine cancels the token) and returns normally.</summary>
    public static async Task WaitForStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
