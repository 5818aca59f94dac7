using System.CommandLine;
using Inroad.Cli.Commands;

namespace Inroad.Cli.Tests;

public sealed class HelpTests
{
    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = InroadCommand.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Help_lists_every_subcommand_under_the_inroad_name()
    {
        var (exitCode, output, _) = Run("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("inroad [command] [options]", output, StringComparison.Ordinal);
        foreach (string name in new[] { "broker", "server", "proxy", "client", "demo", "netcheck", "keygen" })
        {
            Assert.Matches($@"(?m)^\s+{name}\s+\S", output);
        }
    }

    [Theory]
    [InlineData("broker", "--config", "b.json")]
    [InlineData("server", "--config", "s.json")]
    [InlineData("proxy", "--config", "p.json")]
    [InlineData("client", "--config", "c.json")]
    public void Role_commands_require_a_config_file(string command, string option, string value)
    {
        var (missingExit, _, missingError) = Run(command);
        Assert.NotEqual(0, missingExit);
        Assert.Contains("--config", missingError, StringComparison.Ordinal);

        ParseResult parsed = InroadCommand.Create().Parse([command, option, value]);
        Assert.Empty(parsed.Errors);
    }

    [Fact]
    public void Unknown_subcommand_is_a_usage_error()
    {
        var (exitCode, _, error) = Run("teleport");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("teleport", error, StringComparison.Ordinal);
    }
}
