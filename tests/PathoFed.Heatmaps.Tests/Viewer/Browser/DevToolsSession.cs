using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;

namespace PathoFed.Heatmaps.Tests.Viewer.Browser;

/// <summary>
/// A minimal Chrome DevTools Protocol client over one page's WebSocket: commands by id, replies matched by id,
/// events ignored. Just enough for navigate, evaluate, mouse input and screenshots.
/// </summary>
internal sealed class DevToolsSession : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private int _nextId;

    private DevToolsSession() { }

    public static async Task<DevToolsSession> ConnectAsync(Uri pageWebSocket, CancellationToken cancellationToken)
    {
        var session = new DevToolsSession();
        session._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await session._socket.ConnectAsync(pageWebSocket, cancellationToken);
        session._receiving = Task.Run(session.ReceiveLoopAsync);
        return session;
    }

    /// <summary>Sends a command and returns its <c>result</c>; a protocol error throws with the browser's message.</summary>
    public async Task<JsonElement> SendAsync(string method, object? parameters, CancellationToken cancellationToken)
    {
        int id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        byte[] message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        JsonElement response = await reply.Task.WaitAsync(cancellationToken);
        if (response.TryGetProperty("error", out JsonElement error)) throw new InvalidOperationException($"{method} failed: {error}");
        return response.GetProperty("result");
    }

    /// <summary>Evaluates a JavaScript expression (awaiting a promise) and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, CancellationToken cancellationToken)
    {
        JsonElement result = await SendAsync("Runtime.evaluate", new { expression, awaitPromise = true, returnByValue = true }, cancellationToken);
        if (result.TryGetProperty("exceptionDetails", out JsonElement exception)) throw new InvalidOperationException($"'{expression}' threw: {exception}");
        return result.GetProperty("result").TryGetProperty("value", out JsonElement value) ? value.Clone() : default;
    }

    /// <summary>Polls <paramref name="condition"/> until it is true; the timeout's message names the condition.</summary>
    public async Task WaitUntilAsync(string condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            JsonElement value = await EvaluateAsync($"Boolean({condition})", cancellationToken);
            if (value.ValueKind == JsonValueKind.True) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{condition}' still false after {timeout.TotalSeconds} s.");
            await Task.Delay(200, cancellationToken);
        }
    }

    public async Task<byte[]> ScreenshotPngAsync(CancellationToken cancellationToken)
    {
        JsonElement result = await SendAsync("Page.captureScreenshot", new { format = "png" }, cancellationToken);
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    /// <summary>A left click (press and release) at a point of the page, in CSS pixels.</summary>
    public async Task ClickAsync(double x, double y, CancellationToken cancellationToken)
    {
        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseMoved", x, y }, cancellationToken);
        await SendAsync("Input.dispatchMouseEvent", new { type = "mousePressed", x, y, button = "left", clickCount = 1 }, cancellationToken);
        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseReleased", x, y, button = "left", clickCount = 1 }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closing.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The browser is being killed anyway.
        }
        try { await _receiving; } catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult frame = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (frame.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, frame.Count);
                if (!frame.EndOfMessage) continue;
                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        finally
        {
            foreach (TaskCompletionSource<JsonElement> waiting in _pending.Values) waiting.TrySetException(new WebSocketException("DevTools connection closed."));
        }
    }

    private void Dispatch(byte[] utf8)
    {
        using JsonDocument document = JsonDocument.Parse(utf8);
        // Events carry no id: nothing here waits for them.
        if (document.RootElement.TryGetProperty("id", out JsonElement id) && _pending.TryRemove(id.GetInt32(), out var waiting))
        {
            waiting.TrySetResult(document.RootElement.Clone());
        }
    }
}
