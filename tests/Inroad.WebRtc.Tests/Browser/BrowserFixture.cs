using Inroad.Testing.Browser;

namespace Inroad.WebRtc.Tests.Browser;

/// <summary>
/// One headless Chromium and one Firefox on loopback shared by the tests of a class (each test is a job with a fresh
/// RTCPeerConnection in the same page), launched on first use: a browser start costs 3–17 s on this machine.
/// A browser that failed to start is disposed and started again by the next test. Dispose kills both process trees.
/// </summary>
public sealed class BrowserFixture : IAsyncDisposable
{
    private readonly Dictionary<BrowserKind, BrowserHarness> _browsers = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The running browser of <paramref name="kind"/>; skips the test when it is not installed (fails under CI).</summary>
    internal async Task<BrowserHarness> GetAsync(BrowserKind kind, CancellationToken cancellationToken)
    {
        string executable = BrowserHarness.Require(kind);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_browsers.TryGetValue(kind, out BrowserHarness? running) && running.IsRunning)
            {
                return running;
            }

            if (running is not null)
            {
                await running.DisposeAsync();
                _browsers.Remove(kind);
            }

            BrowserHarness browser = BrowserHarness.Start(kind, BrowserPage.Html);
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
