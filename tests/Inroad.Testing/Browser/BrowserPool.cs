namespace Inroad.Testing.Browser;

/// <summary>
/// Running browsers, one per kind, started on first use and shared by the tests of a class (a browser start costs
/// 3–17 s on this machine). A browser that died is disposed and started again by the next test that asks.
/// Dispose kills every process tree.
/// </summary>
public sealed class BrowserPool : IAsyncDisposable
{
    private readonly Dictionary<BrowserKind, BrowserHarness> _browsers = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// The running browser of <paramref name="kind"/>, launched through <paramref name="start"/> when there is none;
    /// skips the test when the browser is not installed (fails under CI). <paramref name="prepare"/> runs first, under
    /// the pool's lock (for what the browsers need, such as a lab).
    /// </summary>
    public async Task<BrowserHarness> GetAsync(BrowserKind kind, Func<BrowserHarness> start, CancellationToken cancellationToken, Func<Task>? prepare = null)
    {
        ArgumentNullException.ThrowIfNull(start);
        string executable = BrowserHarness.Require(kind);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (prepare is not null)
            {
                await prepare();
            }

            if (_browsers.TryGetValue(kind, out BrowserHarness? running) && running.IsRunning)
            {
                return running;
            }

            if (running is not null)
            {
                await running.DisposeAsync();
                _browsers.Remove(kind);
            }

            BrowserHarness browser = start();
            try
            {
                await browser.LaunchAsync(executable, cancellationToken);
            }
            catch
            {
                await browser.DisposeAsync();
                throw;
            }

            _browsers[kind] = browser;
            return browser;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (BrowserHarness browser in _browsers.Values)
        {
            await browser.DisposeAsync();
        }

        _browsers.Clear();
        _gate.Dispose();
    }
}
