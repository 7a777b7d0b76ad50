using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace PathoFed.Federation.Tests.Security;

/// <summary>What each end of one loopback TLS connection saw: <c>null</c> when it completed the handshake and exchanged a byte.</summary>
public sealed record HandshakeOutcome(Exception? ServerError, Exception? ClientError)
{
    public bool BothSucceeded => ServerError is null && ClientError is null;
}

/// <summary>One real TLS connection over 127.0.0.1 with <see cref="SslStream"/> on both ends.</summary>
public static class LoopbackTls
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static async Task<HandshakeOutcome> ConnectAsync(SslServerAuthenticationOptions serverOptions, SslClientAuthenticationOptions clientOptions)
    {
        using var cancellation = new CancellationTokenSource(Timeout);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Task<Exception?> server = ServeAsync(listener, serverOptions, cancellation.Token);
            Task<Exception?> client = RunClientAsync(port, clientOptions, cancellation.Token);
            await Task.WhenAll(server, client);
            return new HandshakeOutcome(await server, await client);
        }
        finally
        {
            listener.Stop();
        }
    }

    // Each side sends one byte after its handshake: under TLS 1.3 the client finishes its handshake before the server
    // has judged the client certificate, so a rejection reaches the client only when it reads.
    private static async Task<Exception?> ServeAsync(TcpListener listener, SslServerAuthenticationOptions options, CancellationToken cancellation)
    {
        try
        {
            using TcpClient connection = await listener.AcceptTcpClientAsync(cancellation);
            await using var tls = new SslStream(connection.GetStream());
            await tls.AuthenticateAsServerAsync(options, cancellation);
            await tls.WriteAsync(new byte[] { 1 }, cancellation);
            await ReadOneByteAsync(tls, cancellation);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static async Task<Exception?> RunClientAsync(int port, SslClientAuthenticationOptions options, CancellationToken cancellation)
    {
        try
        {
            using var connection = new TcpClient();
            await connection.ConnectAsync(IPAddress.Loopback, port, cancellation);
            await using var tls = new SslStream(connection.GetStream());
            await tls.AuthenticateAsClientAsync(options, cancellation);
            await ReadOneByteAsync(tls, cancellation);
            await tls.WriteAsync(new byte[] { 2 }, cancellation);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static async Task ReadOneByteAsync(SslStream tls, CancellationToken cancellation)
    {
        var buffer = new byte[1];
        if (await tls.ReadAsync(buffer, cancellation) != 1)
            throw new IOException("the peer closed the connection");
    }
}
