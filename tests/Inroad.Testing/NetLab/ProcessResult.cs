namespace Inroad.Testing.NetLab;

/// <summary>Outcome of a finished lab command.</summary>
/// <param name="ExitCode">The exit code (-1 when killed at the timeout).</param>
/// <param name="StandardOutput">Everything written to stdout.</param>
/// <param name="StandardError">Everything written to stderr.</param>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Stdout and stderr, for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\n{StandardOutput}\n{StandardError}";
}
