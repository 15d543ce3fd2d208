using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Worker.Tests.Support;

/// <summary>
/// A TCP proxy in front of the broker that, once, holds back the broker's side of a connection from the first frame
/// of one method on: say a basic.consume-ok that comes after the client gave up, as a quorum queue electing a leader
/// can send it, or a publisher confirm (basic.ack) that is slow to come. It reads AMQP 0-9-1 frames (type, channel,
/// size, payload, end) and forwards them unchanged.
/// </summary>
public sealed class FrameDelayProxy : IAsyncDisposable
{
    /// <summary>basic.consume-ok (class 60, method 21).</summary>
    public static readonly (ushort Class, ushort Method) ConsumeOk = (60, 21);

    /// <summary>basic.ack (class 60, method 80): from the broker, a publisher confirm.</summary>
    public static readonly (ushort Class, ushort Method) Confirm = (60, 80);

    private const byte MethodFrame = 1;
    private readonly (ushort Class, ushort Method) _held;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly string _brokerHost;
    private readonly int _brokerPort;
    private readonly TimeSpan _delay;
    private readonly Task _accepting;
    private int _armed;
    private int _delayed;
    private volatile bool _released;

    /// <param name="armed">False to hold nothing until <see cref="Arm"/>.</param>
    public FrameDelayProxy(Uri broker, (ushort Class, ushort Method) held, TimeSpan delay, bool armed = true)
    {
        (_brokerHost, _brokerPort, _held, _delay, _armed) = (broker.Host, broker.Port, held, delay, armed ? 1 : 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>How many frames were held back: 1 once the method came.</summary>
    public int Delayed => Volatile.Read(ref _delayed);

    /// <summary>The held frame, and what came after it, went on to the client.</summary>
    public bool Released => _released;

    /// <summary>Holds the next frame of the method from now on.</summary>
    public void Arm() => Volatile.Write(ref _armed, 1);

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

            try
            {
                await broker.ConnectAsync(_brokerHost, _brokerPort, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // The client sees its connection closed, as through a proxy whose upstream is down.
                client.Dispose();
                continue;
            }

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
                && BinaryPrimitives.ReadUInt16BigEndian(rest) == _held.Class && BinaryPrimitives.ReadUInt16BigEndian(rest.AsSpan(2)) == _held.Method
                && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Interlocked.Increment(ref _delayed);
                await Task.Delay(_delay, _stop.Token);
                _released = true;
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
