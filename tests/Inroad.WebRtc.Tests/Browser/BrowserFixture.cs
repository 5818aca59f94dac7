using Inroad.Testing.Browser;

namespace Inroad.WebRtc.Tests.Browser;

/// <summary>
/// One headless Chromium and one Firefox on loopback shared by the tests of a class (each test is a job with a fresh
/// RTCPeerConnection in the same page), launched on first use. Dispose kills both process trees.
/// </summary>
public sealed class BrowserFixture : IAsyncDisposable
{
    private readonly BrowserPool _browsers = new();

    /// <summary>The running browser of <paramref name="kind"/>; skips the test when it is not installed (fails under CI).</summary>
    internal Task<BrowserHarness> GetAsync(BrowserKind kind, CancellationToken cancellationToken) =>
        _browsers.GetAsync(kind, () => BrowserHarness.Start(kind, BrowserPage.Html), cancellationToken);

    public ValueTask DisposeAsync() => _browsers.DisposeAsync();
}
