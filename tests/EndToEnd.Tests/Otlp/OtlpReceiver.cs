using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Rex.EndToEnd.Tests.Otlp;

/// <summary>A received span, with the service (process) that sent it.</summary>
public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, IReadOnlyDictionary<string, AnyValue> Attributes);

/// <summary>An OTLP/gRPC trace receiver in the test process, on a free loopback port: what Rex's processes export, kept.</summary>
public sealed class OtlpReceiver : TraceService.TraceServiceBase, IAsyncDisposable
{
    readonly WebApplication app;

    OtlpReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        app = builder.Build();
        app.MapGrpcService<OtlpReceiver>();
    }

    public ConcurrentBag<ReceivedSpan> Spans { get; } = [];

    public string Endpoint => app.Urls.First();

    public static async Task<OtlpReceiver> Start()
    {
        var receiver = new OtlpReceiver();
        await receiver.app.StartAsync();
        return receiver;
    }

    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var service = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value.StringValue ?? "";
            foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
                Spans.Add(new ReceivedSpan(service, Convert.ToHexString(span.TraceId.Span), Convert.ToHexString(span.SpanId.Span),
                    Convert.ToHexString(span.ParentSpanId.Span), span.Name, span.Attributes.ToDictionary(a => a.Key, a => a.Value)));
        }
        return Task.FromResult(new ExportTraceServiceResponse());
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
