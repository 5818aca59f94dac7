using System.CommandLine;
using Inroad.Cli.Commands;

namespace Inroad.Cli;

/// <summary>Entry point of the <c>inroad</c> command.</summary>
internal static class Program
{
    // Ctrl-C cancels the running role's token; give it time to close peers and listeners cleanly.
    private static Task<int> Main(string[] args) =>
        InroadCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(15) });
}
