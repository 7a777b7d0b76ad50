using System.Net.Sockets;
using System.Text;

namespace PathoFed.Heatmaps.Tests.Viewer;

/// <summary>
/// Sends a request target byte for byte. HttpClient's Uri would resolve <c>..</c> and decode <c>%2e</c> before sending,
/// so traversal attempts must bypass it to reach the server as an attacker would send them.
/// </summary>
internal static class RawHttp
{
    public static async Task<(int Status, string Body)> GetAsync(int port, string target)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        await using NetworkStream stream = client.GetStream();
        byte[] request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        string statusLine = response[..response.IndexOf("\r\n", StringComparison.Ordinal)];
        int bodyStart = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (int.Parse(statusLine.Split(' ')[1]), bodyStart < 0 ? "" : response[(bodyStart + 4)..]);
    }
}
