using LiveCommerce.Grains.Common;
using System.Text.Json.Serialization;
using LiveCommerce.Api.Endpoints;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Api.Platform;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Payments.Gateway;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Orleans.Dashboard;
using Scalar.AspNetCore;

// appsettings.json is read from beside the binary, wherever the process was started from (a host's default content
// root is its working directory: started from elsewhere, it silently ran without its settings, log levels included).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
var options = LiveCommerceOptions.From(builder.Configuration);
var embedded = options.Profile == HostingProfile.Embedded;
// Before anything listens: no known or placeholder secret outside the embedded profile.
SecretPolicy.Ensure(builder.Configuration, HostSecrets.FrontDoor);

builder.Services.TryAddSingleton(options);
builder.Services.TryAddKeyedSingleton(DomainClock.Key, TimeProvider.System);
builder.AddOrleans(options);
builder.AddLiveCommerceAuth();
builder.AddLiveCommerceOAuth(options.Profile);
builder.AddLiveCommerceQuotas();
builder.AddLiveCommerceTelemetry("livecommerce-api", tracing: t => t.AddAspNetCoreInstrumentation(), metrics: m => m.AddAspNetCoreInstrumentation());

builder.Services.Configure<JsonOptions>(o =>
{
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
});
// Unreadable bodies raise BadHttpRequestException in every environment, so they become problem details.
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.AddClusterRetry();
// On SIGTERM Kestrel stops accepting connections and lets the requests in flight finish (retries included) for this long.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = builder.Configuration.GetValue("LiveCommerce:Api:ShutdownTimeout", TimeSpan.FromSeconds(30)));
builder.Services.AddLiveCommerceHealth(options);
builder.Services.AddLiveCommerceOpenApi();
builder.Services.AddSingleton<ClientIpResolver>();
builder.Services.AddOptions<LiveCommerce.Api.Rooms.RoomFeedOptions>().BindConfiguration(LiveCommerce.Api.Rooms.RoomFeedOptions.Section);
builder.Services.AddSingleton<LiveCommerce.Api.Rooms.RoomFeeds>();
builder.Services.AddOptions<SandboxGatewayOptions>().BindConfiguration(SandboxGatewayOptions.Section);
builder.Services.AddOptions<LiveCommerce.Grains.Orders.SandboxCarrierOptions>().BindConfiguration(LiveCommerce.Grains.Orders.SandboxCarrierOptions.Section);
// The payment callback checks amounts against the same limit as the orders (LiveCommerce:Orders:MaxPaymentAmount).
builder.Services.AddOptions<LiveCommerce.Grains.Common.OrderPolicy>().BindConfiguration(LiveCommerce.Grains.Common.OrderPolicy.Section);
// Kestrel's own ceiling (30 MB by default) down to ours, also for requests that match no endpoint; endpoints with a
// larger limit of their own raise it per request (BodyLimits).
var maxBodyBytes = builder.Configuration.GetValue(BodyLimits.Setting, BodyLimits.DefaultBytes);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBodyBytes);

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRequestBodyLimits(maxBodyBytes);
app.UseAuthentication();
// An app token becomes the merchant it acts for, on endpoints open to one of its scopes (Access.ActingForMerchant).
app.UseMiddleware<AppActingMiddleware>();
// Quotas after authentication: partitions by user and by app need to know who calls.
app.UseRateLimiter();
app.UseAuthorization();

app.MapLiveCommerceHealth();
app.MapOpenApi();
app.MapScalarApiReference();
if (options.Dashboard) app.MapOrleansDashboard(routePrefix: "/dashboard").RequireAuthorization(Roles.Admin).ValidateDashboardInput().ExcludeFromDescription();

var v1 = app.MapGroup("/v1").WithClusterRetry();
if (embedded) v1.MapDevTokenEndpoints();
v1.MapAuthEndpoints();
v1.MapStreamerEndpoints();
v1.MapProductEndpoints();
v1.MapOfferEndpoints();
v1.MapRoomEndpoints();
v1.MapRoomEventsEndpoints();
v1.MapBuyerEndpoints();
v1.MapAddressEndpoints();
v1.MapOrderEndpoints();
v1.MapAfterSaleEndpoints();
v1.MapLogisticsEndpoints();
v1.MapMerchantOrderEndpoints();
v1.MapPaymentEndpoints(sandboxControls: embedded);
v1.MapAccountEndpoints();
v1.MapAdminEndpoints();
v1.MapRegulatoryExportEndpoints();
v1.MapRiskEndpoints();
v1.MapTrafficEndpoints();
v1.MapAnalyticsEndpoints();
v1.MapPlatformEndpoints();
v1.MapWebhookEndpoints();

await app.EnsureOAuthStoreAsync(options.Profile);

app.Run();

/// <summary>Entry point type, public so tests can host the front door.</summary>
public partial class Program;
