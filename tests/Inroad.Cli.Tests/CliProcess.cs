using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Inroad.Cli.Tests;

/// <summary>
/// <c>inroad</c> run as a separate process (the built Inroad.Cli.dll under <c>dotnet</c>), its output captured line by
/// line. Disposing kills it (and its children) if it is still running, so a failed test leaves nothing behind.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _waiters = [];

    private CliProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Everything printed so far (stdout and stderr, in arrival order).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    public static CliProcess Start(params string[] args)
    {
        // Tests stop the CLI with SIGINT: the wrapper makes that work even when the test run itself ignores it.
        IReadOnlyList<string> command = Inroad.Testing.SigintDisposition.Wrap(["dotnet", Path.Combine(AppContext.BaseDirectory, "Inroad.Cli.dll"), .. args]);
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        var cli = new CliProcess(Process.Start(start)!);
        cli._process.OutputDataReceived += (_, e) => cli.OnLine(e.Data);
        cli._process.ErrorDataReceived += (_, e) => cli.OnLine(e.Data);
        cli._process.BeginOutputReadLine();
        cli._process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Waits for a line matching <paramref name="pattern"/> (already printed or still to come).</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout, CancellationToken ct)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline | RegexOptions.CultureInvariant);
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            Match already = regex.Match(_output.ToString());
            if (already.Success)
            {
                return already;
            }

            _waiters.Add((regex, found));
        }

        try
        {
            return await found.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no line matching '{pattern}' within {timeout}; output so far:\n{Output}");
        }
    }

    /// <summary>Sends SIGINT (Ctrl-C) and waits for the process to exit.</summary>
    public async Task InterruptAsync(TimeSpan timeout, CancellationToken ct)
    {
        using (Process kill = Process.Start("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync(ct);
        }

        using var exit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        exit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"still running {timeout} after SIGINT; output so far:\n{Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            foreach ((Regex pattern, TaskCompletionSource<Match> found) in _waiters)
            {
                Match m = pattern.Match(line);
                if (m.Success)
                {
                    found.TrySetResult(m);
                }
            }
        }
    }
}
