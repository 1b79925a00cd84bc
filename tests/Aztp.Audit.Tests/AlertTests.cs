using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Aztp.Audit;
using Aztp.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aztp.Audit.Tests;

public sealed class AlertTests
{
    private static readonly SecurityEventFactory Events = new("finance", "spiffe://company.org/finance");

    private static SecurityEvent Denied(string principal) =>
        Events.PolicyEvaluated(false, principal, "calculate-tax", "default deny");

    [Fact]
    public async Task Threshold_AlertsOnlyWhenReachedWithinTheWindow()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var alerts = Channel.CreateUnbounded<AuditAlert>();
        await using var handler = new AlertHandler(new AlertOptions
        {
            Threshold = 3, Window = TimeSpan.FromMinutes(1), DeduplicationWindow = TimeSpan.Zero, TimeProvider = clock,
            Deliver = (a, ct) => alerts.Writer.WriteAsync(a, ct),
        });

        await handler.HandleAsync(Denied("spiffe://company.org/marketing"), default);
        await handler.HandleAsync(Denied("spiffe://company.org/marketing"), default);
        clock.Advance(TimeSpan.FromMinutes(2)); // the first two fall out of the window
        await handler.HandleAsync(Denied("spiffe://company.org/marketing"), default);
        await handler.HandleAsync(Denied("spiffe://company.org/marketing"), default);
        Assert.False(alerts.Reader.TryRead(out _));
        await handler.HandleAsync(Events.PolicyEvaluated(true, "spiffe://company.org/marketing", "calculate-tax", "ok"), default); // success: not counted
        await handler.HandleAsync(Denied("spiffe://company.org/hr"), default); // another peer: another key
        Assert.False(alerts.Reader.TryRead(out _));
        await handler.HandleAsync(Denied("spiffe://company.org/marketing"), default);

        var alert = await alerts.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(("policy", "evaluated", "spiffe://company.org/marketing", 3), (alert.Type, alert.Action, alert.Peer, alert.Count));
        Assert.Equal(EventOutcome.Denied, alert.LastEvent.Outcome);
    }

    [Fact]
    public async Task Deduplication_SuppressesRepeatsPerKeyAndCountsThem()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var alerts = Channel.CreateUnbounded<AuditAlert>();
        await using var handler = new AlertHandler(new AlertOptions
        {
            Threshold = 1, DeduplicationWindow = TimeSpan.FromMinutes(5), TimeProvider = clock,
            Deliver = (a, ct) => alerts.Writer.WriteAsync(a, ct),
        });

        for (var i = 0; i < 10; i++)
        {
            await handler.HandleAsync(Denied("spiffe://company.org/marketing"), default);
        }
        await handler.HandleAsync(Denied("spiffe://company.org/hr"), default);
        clock.Advance(TimeSpan.FromMinutes(6));
        await handler.HandleAsync(Denied("spiffe://company.org/marketing"), default);

        var received = new List<AuditAlert>();
        for (var i = 0; i < 3; i++)
        {
            received.Add(await alerts.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }
        Assert.Equal(["spiffe://company.org/marketing", "spiffe://company.org/hr", "spiffe://company.org/marketing"], received.Select(a => a.Peer));
        Assert.Equal(0, received[0].Suppressed);
        Assert.Equal(9, received[2].Suppressed);
        Assert.False(alerts.Reader.TryRead(out _));
    }

    [Fact]
    public async Task SlowDelivery_NeverBlocksTheHandler()
    {
        var release = new TaskCompletionSource();
        var started = new TaskCompletionSource();
        await using var handler = new AlertHandler(new AlertOptions
        {
            DeduplicationWindow = TimeSpan.Zero, MaxPendingAlerts = 2,
            Deliver = async (_, ct) => { started.TrySetResult(); await release.Task.WaitAsync(ct); },
        });
        var first = CompletedAtOnce(handler.HandleAsync(Denied("spiffe://a.org/x"), default));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 10; i++)
        {
            Assert.True(CompletedAtOnce(handler.HandleAsync(Denied("spiffe://a.org/x" + i), default)));
        }
        Assert.True(first);
        Assert.True(handler.Failed >= 8); // the queue held two; the rest were dropped and reported
        release.SetResult();
    }

    [Fact]
    public async Task Webhook_PostsAlertJson_AndAFailedDeliveryBecomesAMonitoringEvent()
    {
        var received = Channel.CreateUnbounded<string>();
        var fail = 0;
        await using var app = await StartWebhookAsync(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (Volatile.Read(ref fail) == 1)
            {
                ctx.Response.StatusCode = 503;
                return;
            }
            Assert.Equal("application/json; charset=utf-8", ctx.Request.ContentType);
            await received.Writer.WriteAsync(body);
        });
        var url = new Uri(app.Urls.First() + "/alerts");
        var monitoring = Channel.CreateUnbounded<SecurityEvent>();
        var monitor = new SecurityMonitor("finance", new MonitoringOptions
        {
            ConsoleLogging = false,
            OnEvent = (e, ct) => e.Type == SecurityEventType.Monitoring ? monitoring.Writer.WriteAsync(e, ct) : ValueTask.CompletedTask,
        });
        await using (monitor)
        {
            var handler = new AlertHandler(new AlertOptions { WebhookUrl = url, DeduplicationWindow = TimeSpan.Zero }, monitor);
            await using (handler)
            {
                monitor.AddHandler(handler);
                await monitor.EmitAsync(Events.IdentityFailed("untrusted", "spiffe://evil.org/x", "10.9.9.9"));
                var body = await received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                using var doc = JsonDocument.Parse(body);
                Assert.Equal("identity", doc.RootElement.GetProperty("type").GetString());
                Assert.Equal("failed", doc.RootElement.GetProperty("action").GetString());
                Assert.Equal("spiffe://evil.org/x", doc.RootElement.GetProperty("peer").GetString());
                Assert.Equal("failure", doc.RootElement.GetProperty("event").GetProperty("outcome").GetString());

                Volatile.Write(ref fail, 1);
                await monitor.EmitAsync(Events.IdentityFailed("expired", "spiffe://evil.org/y"));
                var report = await monitoring.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal(AlertHandler.DeliveryFailedAction, report.Data.Action);
                Assert.Equal(EventSeverity.Error, report.Severity);
                Assert.Equal(EventOutcome.Error, report.Outcome);
                Assert.Equal(503, report.Data["statusCode"].AsInteger());
                Assert.Equal(1, handler.Failed);
                await monitor.FlushAsync();
                Assert.False(monitoring.Reader.TryRead(out _)); // the failure report did not trigger another alert
            }
        }
    }

    [Fact]
    public void Options_WithoutADestination_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new AlertHandler(new AlertOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlertHandler(new AlertOptions { Deliver = (_, _) => default, Threshold = 0 }));
        Assert.Throws<ArgumentException>(() => new AlertHandler(new AlertOptions { WebhookUrl = new Uri("file:///tmp/x") }));
    }

    private static bool CompletedAtOnce(ValueTask task) => task.IsCompletedSuccessfully;

    private static async Task<WebApplication> StartWebhookAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/alerts", handler);
        await app.StartAsync();
        return app;
    }
}
