using System.CommandLine;

namespace Inroad.Cli.Commands;

/// <summary>The subcommands: each builds its options here and its action in its own file.</summary>
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
        Option<FileInfo> config = ConfigOption("Tunnel server configuration (JSON): keys, listener, broker keys, allow/deny lists.");
        command.Options.Add(config);
        return ServerCommand.Configure(command, config);
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
        Option<FileInfo> config = ConfigOption("Client configuration (JSON): broker specs, server entry, compartments, local ports.");
        command.Options.Add(config);
        return ClientCommand.Configure(command, config);
    }

    public static Command Demo()
    {
        var command = new Command(
            "demo",
            "Start a broker, a tunnel server, two proxies and a client on this machine with generated keys, " +
            "then print a working SOCKS port. Needs no files and no internet.");
        return DemoCommand.Configure(command);
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
            Description = "What to make: identity, secret, compartment, signing-key, server-entry.",
            DefaultValueFactory = _ => "identity",
        };
        var output = new Option<FileInfo>("--out") { Description = "Write to this file instead of stdout." };
        var entry = new ServerEntryOptions(
            new Option<FileInfo>("--server") { Description = "server-entry: the tunnel server's server.json (keys, listener, publicAddress)." },
            new Option<string>("--signing-seed") { Description = "server-entry: the network's signing seed (from --kind signing-key)." },
            new Option<string>("--tag") { Description = "server-entry: the entry's tag, listed in the broker's validServerEntryTags. Defaults to a random one." });
        command.Options.Add(kind);
        command.Options.Add(output);
        command.Options.Add(entry.Server);
        command.Options.Add(entry.SigningSeed);
        command.Options.Add(entry.Tag);
        return KeygenCommand.Configure(command, kind, output, entry);
    }

    private static Option<FileInfo> ConfigOption(string description) =>
        new("--config", "-c") { Description = description, Required = true };
}
