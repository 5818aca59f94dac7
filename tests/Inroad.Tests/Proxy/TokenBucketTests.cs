using Inroad.Proxy;

namespace Inroad.Tests.Proxy;

public sealed class TokenBucketTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;

        public override long TimestampFrequency => 1_000_000;

        public override long GetTimestamp() => Now;

        public void Advance(TimeSpan by) => Now += (long)(by.TotalSeconds * TimestampFrequency);
    }

    [Fact]
    public void A_full_bucket_lets_a_quarter_second_through_then_makes_the_debt_wait()
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(1000, clock);
        Assert.Equal(250, bucket.Burst);
        Assert.Equal(TimeSpan.Zero, bucket.Take(250));
        Assert.Equal(TimeSpan.FromMilliseconds(500), bucket.Take(500)); // 500 bytes of debt at 1000 B/s
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(TimeSpan.Zero, bucket.Take(0));
        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.Take(100));
    }

    [Fact]
    public void Idle_time_refills_only_up_to_the_burst()
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(1000, clock);
        _ = bucket.Take(250);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.Zero, bucket.Take(250));
        Assert.Equal(TimeSpan.FromMilliseconds(1), bucket.Take(1));
    }

    [Theory]
    [InlineData(1000, 10)]
    [InlineData(100_000, 37)]
    [InlineData(3, 5)]
    public void Over_a_long_run_the_rate_is_the_configured_one(long rate, int chunk)
    {
        var clock = new ManualClock();
        var bucket = new TokenBucket(rate, clock);
        long start = clock.Now;
        long sent = 0;
        while (sent < rate * 10)
        {
            clock.Advance(bucket.Take(chunk));
            sent += chunk;
        }

        double seconds = (clock.Now - start) / (double)clock.TimestampFrequency;
        double expected = (sent - Math.Max(1, rate / 4.0)) / rate; // all but the first burst paid for
        Assert.InRange(seconds, expected - 0.01, expected + ((double)chunk / rate) + 0.01);
    }

    [Fact]
    public void Rates_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(0, TimeProvider.System));
    }
}
