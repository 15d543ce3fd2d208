using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Worker.Tests.Support;

/// <summary>
/// A TCP proxy in front of the broker that, once, holds back the broker's side of a connection from its first
/// basic.consume-ok on: a broker that answers a consume only after the client gave up, as a quorum queue electing a
/// leader can. It reads AMQP 0-9-1 frames (type, channel, size, payload, end) and forwards them unchanged.
/// </summary>
public sealed class ConsumeOkDelayProxy : IAsyncDisposable
{
    private const byte MethodFrame = 1;
    private const ushort BasicClass = 60;
    private const ushort ConsumeOkMethod = 21;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly string _brokerHost;
    private readonly int _brokerPort;
    private readonly TimeSpan _delay;
    private readonly Task _accepting;
    private int _armed = 1;

    public ConsumeOkDelayProxy(Uri broker, TimeSpan delay)
    {
        (_brokerHost, _brokerPort, _delay) = (broker.Host, broker.Port, delay);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>How many consume-oks were held back: 1 once the consumer asked.</summary>
    public int Delayed => 1 - Volatile.Read(ref _armed);

    /// <summary>The broker's URI with this proxy's port in it.</summary>
    public Uri Through(Uri broker) => new UriBuilder(broker) { Host = "127.0.0.1", Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.Uri;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var broker = new TcpClient();
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(broker);
            }

            await broker.ConnectAsync(_brokerHost, _brokerPort, _stop.Token);
            _ = PumpAsync(() => client.GetStream().CopyToAsync(broker.GetStream(), _stop.Token), client, broker);
            _ = PumpAsync(() => ForwardFramesAsync(broker.GetStream(), client.GetStream()), client, broker);
        }
    }

    // Either side closing ends both, as a proxy's connection would.
    private static async Task PumpAsync(Func<Task> pump, TcpClient client, TcpClient broker)
    {
        try
        {
            await pump();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        client.Dispose();
        broker.Dispose();
    }

    private async Task ForwardFramesAsync(Stream from, Stream to)
    {
        var header = new byte[7];
        while (true)
        {
            await from.ReadExactlyAsync(header, _stop.Token);
            var size = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(3));
            var rest = new byte[size + 1];
            await from.ReadExactlyAsync(rest, _stop.Token);
            if (header[0] == MethodFrame && size >= 4
                && BinaryPrimitives.ReadUInt16BigEndian(rest) == BasicClass && BinaryPrimitives.ReadUInt16BigEndian(rest.AsSpan(2)) == ConsumeOkMethod
                && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                await Task.Delay(_delay, _stop.Token);
            }

            await to.WriteAsync(header, _stop.Token);
            await to.WriteAsync(rest, _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_sockets)
        {
            _sockets.ForEach(socket => socket.Dispose());
        }

        _stop.Dispose();
    }
}
