using System.CommandLine;

namespace Inroad.Cli.Commands;

/// <summary>
/// The subcommands. A subcommand whose role is not built yet says so on stderr and exits with
/// <see cref="ExitCodes.NotImplemented"/>, so scripts never mistake it for success.
/// </summary>
internal static class RoleCommands
{
    public static Command Broker()
    {
        var command = new Command("broker", "Run a broker: matches client offers with proxy announcements and relays WebRTC signaling.");
        Option<FileInfo> config = ConfigOption("Broker configuration (JSON): keys, compartments, GeoIP databases, HTTP listener.");
        command.Options.Add(config);
        return BrokerCommand.Configure(command, config);
    }

    public static Command Server()
    {
        var command = new Command("server", "Run a tunnel server with in-proxy listeners; it verifies broker reports before opening streams.");
        command.Options.Add(ConfigOption("Tunnel server configuration (JSON): keys, listeners, allow/deny lists."));
        return NotYet(command, "the tunnel server", 8);
    }

    public static Command Proxy()
    {
        var command = new Command("proxy", "Run a volunteer proxy: announce to the broker and relay matched clients to tunnel servers.");
        Option<FileInfo> config = ConfigOption("Proxy configuration (JSON): broker specs, client limits, personal compartment.");
        command.Options.Add(config);
        return ProxyCommand.Configure(command, config);
    }

    public static Command Client()
    {
        var command = new Command("client", "Run a client: dial a tunnel through a proxy and expose local SOCKS5 and HTTP proxy ports.");
        command.Options.Add(ConfigOption("Client configuration (JSON): broker specs, server entries, local ports."));
        return NotYet(command, "the client", 8);
    }

    public static Command Demo()
    {
        var command = new Command(
            "demo",
            "Start a broker, a tunnel server, two proxies and a client on this machine with generated keys, " +
            "then print a working SOCKS port. Needs no files and no internet.");
        return NotYet(command, "the demo", 8);
    }

    public static Command Netcheck()
    {
        return NetcheckCommand.Create();
    }

    public static Command Keygen()
    {
        var command = new Command("keygen", "Make identity keys, root obfuscation secrets, compartment IDs and signed server entries.");
        var kind = new Option<string>("--kind")
        {
            Description = "What to make: identity, secret, compartment, server-entry.",
            DefaultValueFactory = _ => "identity",
        };
        var output = new Option<FileInfo>("--out") { Description = "Write to this file instead of stdout." };
        command.Options.Add(kind);
        command.Options.Add(output);
        return KeygenCommand.Configure(command, kind, output);
    }

    private static Option<FileInfo> ConfigOption(string description) =>
        new("--config", "-c") { Description = description, Required = true };

    private static Command NotYet(Command command, string what, int issue)
    {
        command.SetAction(parseResult =>
        {
            parseResult.InvocationConfiguration.Error.WriteLine(
                $"inroad {command.Name}: {what} is not implemented yet (tracked in issue #{issue}).");
            return ExitCodes.NotImplemented;
        });
        return command;
    }
}
