using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Inroad.Cli.Tests;

/// <summary>A loopback web server answering every request with one fixed page, until disposed.</summary>
internal sealed class LocalWeb : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public LocalWeb(string body)
    {
        _listener.Start();
        _ = ServeAsync(Encoding.UTF8.GetBytes(body), _stop.Token);
    }

    public Uri Url => new($"http://{_listener.LocalEndpoint}/");

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task ServeAsync(byte[] body, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(
                async () =>
                {
                    using (client)
                    {
                        NetworkStream s = client.GetStream();
                        byte[] buffer = new byte[4096];
                        var request = new StringBuilder();
                        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                        {
                            int n = await s.ReadAsync(buffer, ct);
                            if (n == 0)
                            {
                                return;
                            }

                            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                        }

                        await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), ct);
                        await s.WriteAsync(body, ct);
                    }
                },
                ct);
        }
    }
}
