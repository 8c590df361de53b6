using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>A comment posted with a key is posted once however often it is repeated (the front door repeats it across a failover).</summary>
public sealed class KeyedCommentTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    [Fact]
    public async Task A_repeated_key_answers_the_same_comment_and_unkeyed_comments_are_each_posted()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 5);
        var buyers = await shop.RegisterBuyersAsync(2);
        foreach (var b in buyers) await shop.Room.Join(b);

        var first = await shop.Room.Comment(buyers[0], "how much for two?", "k1");
        Assert.Equal(first, await shop.Room.Comment(buyers[0], "how much for two?", "k1"));
        var otherViewer = await shop.Room.Comment(buyers[1], "how much for two?", "k1"); // keys are per viewer
        Assert.NotEqual(first, otherViewer);
        var plain = await shop.Room.Comment(buyers[0], "hello");
        Assert.NotEqual(plain, await shop.Room.Comment(buyers[0], "hello"));

        var view = await shop.Room.GetView();
        Assert.Equal(4, view.Comments);
        Assert.Single(view.RecentComments, c => c.Id == first);
    }
}
