using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LiveCommerce.Grains.Hosting;

/// <summary>OpenTelemetry metrics and traces for Orleans and our own instruments; exporter off unless configured.</summary>
public static class Telemetry
{
    public const string SourceName = "LiveCommerce";

    /// <summary>Traces of our own work (order placement, payment, settlement runs).</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Counters and histograms of our own work.</summary>
    public static readonly Meter Meter = new(SourceName);

    public static IHostApplicationBuilder AddLiveCommerceTelemetry(
        this IHostApplicationBuilder builder,
        string serviceName,
        Action<TracerProviderBuilder>? tracing = null,
        Action<MeterProviderBuilder>? metrics = null)
    {
        var settings = LiveCommerceOptions.From(builder.Configuration).Telemetry;
        var exporter = settings.Exporter.Trim().ToLowerInvariant();
        if (exporter is "none" or "") return builder;
        if (exporter is not ("console" or "otlp"))
            throw new InvalidOperationException($"LiveCommerce:Telemetry:Exporter must be none, console or otlp, not '{settings.Exporter}'.");

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t =>
            {
                t.AddSource(SourceName, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application");
                tracing?.Invoke(t);
                if (exporter == "console") t.AddConsoleExporter();
                else t.AddOtlpExporter(o => { if (settings.OtlpEndpoint is { } e) o.Endpoint = new Uri(e); });
            })
            .WithMetrics(m =>
            {
                m.AddMeter(SourceName, "Microsoft.Orleans");
                metrics?.Invoke(m);
                if (exporter == "console") m.AddConsoleExporter();
                else m.AddOtlpExporter(o => { if (settings.OtlpEndpoint is { } e) o.Endpoint = new Uri(e); });
            });
        return builder;
    }
}
