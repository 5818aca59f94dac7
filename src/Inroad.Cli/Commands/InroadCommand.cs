using System.CommandLine;

namespace Inroad.Cli.Commands;

/// <summary>Builds the <c>inroad</c> command tree. Each role composes the library; the CLI only parses and wires.</summary>
internal static class InroadCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Inroad: an in-proxy circumvention system. Volunteer proxies relay censored clients' traffic " +
            "over WebRTC to Inroad tunnel servers, matched by a broker.");

        root.HelpName = "inroad";
        root.Subcommands.Add(RoleCommands.Broker());
        root.Subcommands.Add(RoleCommands.Server());
        root.Subcommands.Add(RoleCommands.Proxy());
        root.Subcommands.Add(RoleCommands.Client());
        root.Subcommands.Add(RoleCommands.Demo());
        root.Subcommands.Add(RoleCommands.Netcheck());
        root.Subcommands.Add(RoleCommands.Keygen());
        return root;
    }
}
