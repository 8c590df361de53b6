using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// The real front door on a Kestrel loopback port (a browser cannot reach the in-memory test server); the
/// sandbox's signed callbacks go to that port like they would in production.
/// </summary>
public sealed class KestrelApiFactory : AnalyticsApiFactory
{
    public int Port { get; } = FreePorts.Next();
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public KestrelApiFactory() => UseKestrel(Port);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("LiveCommerce:Payments:Sandbox:CallbackUrl", BaseUrl + "/v1/payments/callbacks/sandbox");
        // Every seeded buyer connects from 127.0.0.1: the per-IP rules would (rightly) stop the seeding.
        builder.UseSetting("LiveCommerce:Risk:Rules:ip-burst:Enabled", "false");
        builder.UseSetting("LiveCommerce:Risk:Rules:ip-many-buyers:Enabled", "false");
        builder.ConfigureTestServices(services =>
            services.Replace(ServiceDescriptor.Singleton<IPaymentCallbackSender, HttpPaymentCallbackSender>()));
    }
}

/// <summary>The analytics chart page in headless Chromium, against a seeded scenario served over real HTTP.</summary>
public sealed class AnalyticsPageBrowserTests(KestrelApiFactory api) : IClassFixture<KestrelApiFactory>
{
    private static string? FindChromium() =>
        new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);

    private static async Task<(int Exit, string Output)> RunChromiumAsync(string chromium, params string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("lc-chromium-");
        try
        {
            var start = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                         $"--user-data-dir={profile.FullName}" }.Concat(args))
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish in 90 s: " + await stderr);
            }
            return (process.ExitCode, await stdout + "\n--stderr--\n" + await stderr);
        }
        finally
        {
            try { profile.Delete(recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_chart_page_renders_a_seeded_room_and_merchant_in_headless_chromium()
    {
        var chromium = FindChromium();
        if (chromium is null)
            Assert.Skip("Chromium is not installed (tests/run-tests.sh installs the Debian 'chromium' package); the browser test cannot run.");

        // Seed: one room, 12 viewers, 5 paid orders at 15.00 yuan, 1 paid at 30.00, 1 unpaid.
        var shop = await HttpShop.OpenAsync(api, stock: 100, livePrice: 1500);
        var p2 = shop.Prefix + "-p2";
        await HttpShop.Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{p2}", new { name = "Mug", category = "home", listPrice = 4000 }));
        await shop.PublishOfferAsync(p2);
        await HttpShop.Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{p2}", new { livePrice = 3000, stock = 50, splitPlan = shop.SixLevelPlan() }));
        for (var i = 0; i < 12; i++)
        {
            var buyer = await shop.BuyerAsync("v" + i, i % 2 == 0 ? "Chengdu" : "Linyi");
            await HttpShop.Ok(buyer.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
            if (i >= 7) continue;
            var placed = await HttpShop.Read(await shop.PlaceAsync(buyer, "k" + i, 1, i == 5 ? p2 : null), HttpStatusCode.Created);
            if (i < 6) await shop.PayAsync(buyer, placed.GetProperty("orderId").GetString()!);
        }
        var deadline = Environment.TickCount64 + 15_000;
        while ((await HttpShop.Ok(shop.Admin.GetAsync($"/v1/analytics/merchants/{shop.MerchantId}"))).GetProperty("funnel").GetProperty("paid").GetInt64() < 6)
        {
            Assert.True(Environment.TickCount64 < deadline, "analytics did not see the orders");
            await Task.Delay(50);
        }

        // The page signs in with the token in the fragment (exchanged for the HttpOnly cookie), then reads with the cookie.
        var token = (await (await api.CreateClient().PostAsJsonAsync("/v1/dev/tokens", new { subject = shop.MerchantId, role = "merchant" }))
            .Content.ReadFromJsonAsync<TokenBody>())!.AccessToken;
        var roomToken = (await (await api.CreateClient().PostAsJsonAsync("/v1/dev/tokens", new { subject = shop.StreamerId, role = "streamer" }))
            .Content.ReadFromJsonAsync<TokenBody>())!.AccessToken;

        var (exit, dom) = await RunChromiumAsync(chromium, "--virtual-time-budget=20000", "--dump-dom",
            $"{api.BaseUrl}/v1/analytics/ui?room={shop.RoomId}#token={roomToken}");
        Assert.True(exit == 0, dom);
        Assert.Contains("data-state=\"ready\"", dom);
        // 12 viewers, GMV 5 × 15.00 + 30.00 = 105.00 yuan, GPM = 10500 fen × 1000 / 12 / 100 = 8750.00 yuan, conversion 6/12.
        Assert.Matches(new Regex("id=\"kpi-views\">12<"), dom);
        Assert.Matches(new Regex("id=\"kpi-gmv\">105\\.00<"), dom);
        Assert.Matches(new Regex("id=\"kpi-gpm\">8750\\.00<"), dom);
        Assert.Matches(new Regex("id=\"conversion\">50\\.00%<"), dom);
        Assert.Contains("&lt; 20 yuan", dom);
        Assert.Contains("<svg", dom);

        var merchantDom = (await RunChromiumAsync(chromium, "--virtual-time-budget=20000", "--dump-dom",
            $"{api.BaseUrl}/v1/analytics/ui?merchant={shop.MerchantId}#token={token}")).Output;
        Assert.Contains("data-state=\"ready\"", merchantDom);
        Assert.Matches(new Regex("id=\"kpi-paid\">6<"), merchantDom);
        Assert.Matches(new Regex("id=\"kpi-repurchase\">0\\.00%<"), merchantDom);

        // Without a token the page asks to sign in instead of showing data.
        var anonymous = (await RunChromiumAsync(chromium, "--virtual-time-budget=10000", "--dump-dom",
            $"{api.BaseUrl}/v1/analytics/ui?room={shop.RoomId}")).Output;
        Assert.Contains("Not signed in.", anonymous);
        Assert.DoesNotContain("data-state=\"ready\"", anonymous);

        var screenshot = Path.Combine(AppContext.BaseDirectory, "analytics-room.png");
        File.Delete(screenshot);
        var shot = await RunChromiumAsync(chromium, "--virtual-time-budget=20000", "--hide-scrollbars", "--window-size=1200,1500",
            $"--screenshot={screenshot}", $"{api.BaseUrl}/v1/analytics/ui?room={shop.RoomId}#token={roomToken}");
        Assert.True(File.Exists(screenshot), shot.Output);
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.True(png.Length > 20_000, $"screenshot is only {png.Length} bytes");
    }

    private sealed record TokenBody(string AccessToken);
}
