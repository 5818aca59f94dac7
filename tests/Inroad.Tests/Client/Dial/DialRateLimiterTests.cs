using Inroad.Client.Dial;
using Microsoft.Extensions.Time.Testing;

namespace Inroad.Tests.Client.Dial;

/// <summary>The dial-start token bucket on a fake clock (design §8.5: 2 dials per 500 ms).</summary>
public sealed class DialRateLimiterTests
{
    [Fact]
    public void Two_dials_start_at_once_then_one_every_quarter_second_in_order()
    {
        var time = new FakeTimeProvider();
        var limiter = new DialRateLimiter(DialRateLimit.Default, time);
        Assert.Equal(TimeSpan.Zero, limiter.Reserve());
        Assert.Equal(TimeSpan.Zero, limiter.Reserve());
        Assert.Equal(TimeSpan.FromMilliseconds(250), limiter.Reserve());
        Assert.Equal(TimeSpan.FromMilliseconds(500), limiter.Reserve()); // queued behind the previous one

        time.Advance(TimeSpan.FromMilliseconds(500)); // both queued dials have started by now
        Assert.Equal(TimeSpan.FromMilliseconds(250), limiter.Reserve());

        time.Advance(TimeSpan.FromSeconds(10)); // a quiet spell refills to the burst, no more
        Assert.Equal(TimeSpan.Zero, limiter.Reserve());
        Assert.Equal(TimeSpan.Zero, limiter.Reserve());
        Assert.True(limiter.Reserve() > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_waiting_dial_starts_when_the_clock_reaches_its_token_and_can_be_cancelled()
    {
        var time = new FakeTimeProvider();
        var limiter = new DialRateLimiter(new DialRateLimit { Quantity = 1, Interval = TimeSpan.FromSeconds(1) }, time);
        await limiter.WaitAsync(TestContext.Current.CancellationToken);
        Task second = limiter.WaitAsync(TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        using var cancel = new CancellationTokenSource();
        Task third = limiter.WaitAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
    }

    [Fact]
    public void Unlimited_never_waits_and_bad_limits_are_named()
    {
        var limiter = new DialRateLimiter(DialRateLimit.Unlimited, new FakeTimeProvider());
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(TimeSpan.Zero, limiter.Reserve());
        }

        Assert.Equal("Quantity", Assert.Throws<ArgumentOutOfRangeException>(() => new DialRateLimit { Quantity = -1 }.Validate()).ParamName);
        Assert.Equal("Interval", Assert.Throws<ArgumentOutOfRangeException>(() => new DialRateLimit { Interval = TimeSpan.Zero }.Validate()).ParamName);
    }
}
