using System.Diagnostics;
using System.Text;

namespace Inroad.Testing.NetLab;

/// <summary>A process started in a lab namespace (<c>ip netns exec</c>); killed with its children when disposed.</summary>
public sealed class LabProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();
    private int _disposed;

    internal LabProcess(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.Start();
        Id = _process.Id;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The process id (of <c>ip netns exec</c>, which execs the command, so it is the command's).</summary>
    public int Id { get; }

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Stdout so far.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Waits until stdout contains <paramref name="text"/>; false if the process exits or the token fires first.</summary>
    public async Task<bool> WaitForOutputAsync(string text, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (StandardOutput.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(ct).ConfigureAwait(false);
                return StandardOutput.Contains(text, StringComparison.Ordinal);
            }

            try
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return false;
    }

    /// <summary>
    /// Waits for the first stdout line that starts with <paramref name="prefix"/> and returns the rest of it; throws
    /// <see cref="InvalidOperationException"/> (with the output so far) if the process exits or the token fires first.
    /// </summary>
    public async Task<string> WaitForLineAsync(string prefix, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        while (true)
        {
            bool exited = _process.HasExited;
            foreach (string line in StandardOutput.Split('\n'))
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line[prefix.Length..].TrimEnd('\r');
                }
            }

            if (exited || ct.IsCancellationRequested)
            {
                throw new InvalidOperationException($"no '{prefix}' line ({(exited ? "exited" : "timed out")}); stdout:\n{StandardOutput}\nstderr:\n{StandardError}");
            }

            try
            {
                await Task.Delay(10, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Writes one line to the process's stdin.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for exit, killing the process when <paramref name="timeout"/> passes; returns its output.</summary>
    public async Task<ProcessResult> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        int code;
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            code = _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            code = -1;
        }

        return new ProcessResult(code, StandardOutput, StandardError);
    }

    /// <summary>Kills the process and its children (no-op once exited).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the lab's down kills whatever is left in its namespaces
        }

        _process.Dispose();
    }

    private void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            sb.AppendLine(line);
        }
    }
}
