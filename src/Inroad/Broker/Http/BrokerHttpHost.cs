using System.Net;
using System.Security.Cryptography;
using System.Text;
using Inroad.Broker.Service;
using Inroad.Protocol;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Inroad.Broker.Http;

/// <summary>
/// Kestrel in front of the broker: one POST path whose body is an obfuscated session packet. Every
/// failure (wrong path or method, oversize body, a packet that does not deobfuscate, a malformed request,
/// load shedding) gets the same bodiless 404, so a prober cannot tell a broker from an empty web server.
/// Long polls end when the HTTP client goes away (<see cref="HttpContext.RequestAborted"/>).
/// </summary>
internal sealed class BrokerHttpHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BrokerHttpHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The endpoint URL (with the configured path).</summary>
    public Uri Address { get; }

    /// <summary>Starts listening.</summary>
    public static async Task<BrokerHttpHost> StartAsync(BrokerHttpHostOptions options, BrokerService service, ResponderSessions sessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(sessions);
        options.Validate();

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxBodySize;
            k.Limits.Http2.MaxStreamsPerConnection = 10_000;
            k.Listen(options.Listen, listen =>
            {
                if (options.Certificate is null)
                {
                    listen.Protocols = HttpProtocols.Http2;
                }
                else
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    _ = listen.UseHttps(options.Certificate);
                }
            });
        });
        WebApplication app = builder.Build();
        byte[] secret = options.SecretHeaderValue is null ? [] : Encoding.UTF8.GetBytes(options.SecretHeaderValue);
        app.Run(context => HandleAsync(context, options, secret, service, sessions));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BrokerHttpHost(app, new Uri(new Uri(bound), options.Path));
    }

    private static async Task HandleAsync(HttpContext context, BrokerHttpHostOptions options, byte[] secret, BrokerService service, ResponderSessions sessions)
    {
        HttpRequest request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || request.Path != options.Path || request.ContentLength > options.MaxBodySize)
        {
            NotFound(context);
            return;
        }

        byte[]? body = await ReadBodyAsync(request, options.MaxBodySize, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            NotFound(context);
            return;
        }

        IPAddress peerIp = ClientIp(context, options, secret);
        try
        {
            ResponderResult result = await sessions.HandlePacketAsync(
                body,
                async (initiator, record, ct) => await service.HandleAsync(Id32.From(initiator.ToArray()), peerIp, record, ct).ConfigureAwait(false),
                context.RequestAborted).ConfigureAwait(false);
            if (result.Kind == ResponderResultKind.Rejected)
            {
                NotFound(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/octet-stream";
            if (result.Packet is { Length: > 0 } packet)
            {
                context.Response.ContentLength = packet.Length;
                await context.Response.Body.WriteAsync(packet, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is BrokerException or SessionException or OperationCanceledException)
        {
            if (!context.Response.HasStarted)
            {
                NotFound(context);
            }
        }
    }

    private static void NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentLength = 0;
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > max)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (Exception e) when (e is Microsoft.AspNetCore.Http.BadHttpRequestException or IOException or OperationCanceledException)
        {
            return null;
        }

        return buffer.Length == 0 ? null : buffer.ToArray();
    }

    // The CDN's forwarding header is believed only with the CDN's secret header; the right-most entry is the one the CDN added.
    private static IPAddress ClientIp(HttpContext context, BrokerHttpHostOptions options, byte[] secret)
    {
        IPAddress remote = context.Connection.RemoteIpAddress ?? IPAddress.None;
        if (options.ForwardedForHeader is null
            || !context.Request.Headers.TryGetValue(options.SecretHeaderName!, out Microsoft.Extensions.Primitives.StringValues presented)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented.ToString()), secret)
            || !context.Request.Headers.TryGetValue(options.ForwardedForHeader, out Microsoft.Extensions.Primitives.StringValues forwarded))
        {
            return remote;
        }

        string last = forwarded.ToString().Split(',')[^1].Trim();
        return IPAddress.TryParse(last, out IPAddress? ip) ? ip : remote;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
