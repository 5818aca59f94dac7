using Inroad.Broker.Matching;

namespace Inroad.Tests.Broker;

/// <summary>The tickets' own completion (the IValueTaskSource the broker's long polls await).</summary>
public sealed class MatchTicketTests
{
    [Fact]
    public async Task Awaiting_before_completion_resumes_with_the_outcome()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var matcher = new Matcher(new MatcherOptions());
        AnnouncementTicket announcement = MatcherFixture.Announcement(1_000);
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(announcement, 1_000));
        Task<ProxyMatch?> waiting = announcement.WaitAsync().AsTask();
        Assert.False(waiting.IsCompleted);

        OfferTicket offer = MatcherFixture.Offer(1_000);
        Assert.Equal(MatchOutcome.Matched, matcher.Offer(offer, 1_000));
        ProxyMatch? fromAnnouncement = await waiting.WaitAsync(timeout.Token);
        Assert.NotNull(fromAnnouncement);
        Assert.Same(fromAnnouncement, await offer.WaitAsync()); // completed before the await
    }

    [Fact]
    public void A_ticket_completes_once()
    {
        AnnouncementTicket ticket = MatcherFixture.Announcement(1_000);
        Assert.False(ticket.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => ticket.Result);
        Assert.True(ticket.TrySetResult(null));
        Assert.False(ticket.TrySetResult(null));
        Assert.True(ticket.IsCompleted);
        Assert.Null(ticket.Result);
    }

    [Fact]
    public async Task A_withdrawn_announcement_resumes_its_waiter_with_null()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var matcher = new Matcher(new MatcherOptions());
        AnnouncementTicket announcement = MatcherFixture.Announcement(1_000);
        _ = matcher.Announce(announcement, 1_000);
        Assert.Equal(MatcherFixture.CommonA, announcement.Compartment.Id); // read back from the queue it joined
        Task<ProxyMatch?> waiting = announcement.WaitAsync().AsTask();
        Assert.True(matcher.CancelAnnouncement(announcement));
        Assert.Null(await waiting.WaitAsync(timeout.Token));
        Assert.Equal(0, matcher.AnnouncementCount);
    }
}
