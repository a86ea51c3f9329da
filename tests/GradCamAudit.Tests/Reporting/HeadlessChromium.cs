using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GradCamAudit.Tests.Reporting;

/// <summary>
/// Debian's chromium driven over the DevTools protocol (a WebSocket and JSON, no driver package): open a page, run
/// script in it, click, take a screenshot, and collect every console error and uncaught exception the page raised.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process process;
    private readonly string profile;
    private readonly ClientWebSocket socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> pending = new();
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? receiver;
    private int nextId;

    private HeadlessChromium(Process process, string profile)
    {
        this.process = process;
        this.profile = profile;
    }

    /// <summary>Console errors, uncaught exceptions and failed loads the page reported.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    public static async Task<HeadlessChromium> OpenAsync(string url, int width = 1400, int height = 1000)
    {
        string profile = TestPaths.NewTempDir("chromium-cdp");
        var psi = new ProcessStartInfo("chromium") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--remote-debugging-port=0", "--remote-allow-origins=*", $"--window-size={width},{height}", "--user-data-dir=" + profile, "about:blank",
        })
        {
            psi.ArgumentList.Add(a);
        }
        var browser = new HeadlessChromium(Process.Start(psi)!, profile);
        browser.process.OutputDataReceived += (_, _) => { };
        browser.process.ErrorDataReceived += (_, _) => { };
        browser.process.BeginOutputReadLine();
        browser.process.BeginErrorReadLine();
        try
        {
            await browser.ConnectAsync().ConfigureAwait(false);
            await browser.SendAsync("Runtime.enable").ConfigureAwait(false);
            await browser.SendAsync("Log.enable").ConfigureAwait(false);
            await browser.SendAsync("Page.enable").ConfigureAwait(false);
            await browser.SendAsync("Page.navigate", new JsonObject { ["url"] = url }).ConfigureAwait(false);
            await browser.loaded.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Evaluates a script expression in the page and returns its JSON value (promises awaited).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        JsonElement result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true }).ConfigureAwait(false);
        if (result.TryGetProperty("exceptionDetails", out JsonElement exception))
        {
            throw new InvalidOperationException($"script failed: {exception}");
        }
        return result.GetProperty("result").TryGetProperty("value", out JsonElement value) ? value.Clone() : default;
    }

    /// <summary>A PNG of the whole page (beyond the window), at most <paramref name="maxHeight"/> CSS pixels tall.</summary>
    public async Task<byte[]> ScreenshotAsync(int maxHeight = 6000)
    {
        JsonElement size = await EvaluateAsync("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]").ConfigureAwait(false);
        var clip = new JsonObject { ["x"] = 0, ["y"] = 0, ["width"] = size[0].GetInt32(), ["height"] = Math.Min(maxHeight, size[1].GetInt32()), ["scale"] = 1 };
        JsonElement shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true, ["clip"] = clip }).ConfigureAwait(false);
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    private async Task ConnectAsync()
    {
        string portFile = Path.Combine(profile, "DevToolsActivePort");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(portFile) || new FileInfo(portFile).Length == 0)
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException("chromium did not open its DevTools port");
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        string port = (await File.ReadAllLinesAsync(portFile).ConfigureAwait(false))[0].Trim();
        using var http = new HttpClient();
        string list = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")).ConfigureAwait(false);
        string target = JsonDocument.Parse(list).RootElement.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page")
            .GetProperty("webSocketDebuggerUrl").GetString()!;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri(target), CancellationToken.None).ConfigureAwait(false);
        receiver = Task.Run(ReceiveAsync);
    }

    private async Task<JsonElement> SendAsync(string method, JsonObject? parameters = null)
    {
        int id = Interlocked.Increment(ref nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
        return await reply.Task.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 20];
        var message = new MemoryStream();
        try
        {
            while (!stop.IsCancellationRequested && socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult part = await socket.ReceiveAsync(buffer, stop.Token).ConfigureAwait(false);
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage)
                {
                    continue;
                }
                using (JsonDocument doc = JsonDocument.Parse(message.ToArray()))
                {
                    Dispatch(doc.RootElement);
                }
                message.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // closing
        }
        foreach (var reply in pending.Values)
        {
            reply.TrySetException(new InvalidOperationException("the DevTools connection closed"));
        }
    }

    private void Dispatch(JsonElement root)
    {
        if (root.TryGetProperty("id", out JsonElement id) && pending.TryRemove(id.GetInt32(), out var reply))
        {
            if (root.TryGetProperty("error", out JsonElement error))
            {
                reply.TrySetException(new InvalidOperationException($"DevTools error: {error}"));
            }
            else
            {
                reply.TrySetResult(root.GetProperty("result").Clone());
            }
            return;
        }
        string method = root.TryGetProperty("method", out JsonElement m) ? m.GetString() ?? "" : "";
        JsonElement p = root.TryGetProperty("params", out JsonElement ps) ? ps : default;
        switch (method)
        {
            case "Page.loadEventFired":
                loaded.TrySetResult();
                break;
            case "Runtime.exceptionThrown":
                Errors.Enqueue("exception: " + p.GetProperty("exceptionDetails"));
                break;
            case "Runtime.consoleAPICalled" when p.GetProperty("type").GetString() is "error" or "assert":
                Errors.Enqueue("console: " + p.GetProperty("args"));
                break;
            case "Log.entryAdded" when p.GetProperty("entry").GetProperty("level").GetString() == "error":
                Errors.Enqueue("log: " + p.GetProperty("entry").GetProperty("text").GetString());
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // the browser is killed next
        }
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        if (receiver != null)
        {
            await receiver.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        process.Dispose();
        socket.Dispose();
        stop.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // chromium may still be flushing its profile
        }
    }
}
