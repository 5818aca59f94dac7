using Inroad.Cli.Commands;

namespace Inroad.Cli;

/// <summary>Entry point of the <c>inroad</c> command.</summary>
internal static class Program
{
    private static Task<int> Main(string[] args) => InroadCommand.Create().Parse(args).InvokeAsync();
}
