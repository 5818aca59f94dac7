namespace Inroad.Cli.Commands;

/// <summary>Process exit codes of <c>inroad</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Bad arguments or configuration; nothing was started.</summary>
    public const int Usage = 1;
}
