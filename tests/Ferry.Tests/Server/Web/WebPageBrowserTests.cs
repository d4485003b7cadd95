using System.Net;
using System.Security.Cryptography;
using Ferry.Server;
using Ferry.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Ferry.Tests.Server.Web;

/// <summary>
/// The web page in a real browser: Playwright for .NET driving Debian's chromium (/usr/bin/chromium, installed by
/// tests/install-peers.sh; Playwright never downloads one), headless, against a real server with <c>--web</c> on
/// HTTPS. Every wait is on page state (a selector, a text, a progress value), never a sleep; screenshots of each pane
/// go to TestResults/web-screenshots.
/// </summary>
public sealed class WebPageBrowserTests
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private static readonly float Timeout = 60_000;

    internal static string ScreenshotFolder => Path.Combine(RepoPaths.Root, "tests", "Ferry.Tests", "TestResults", "web-screenshots");

    /// <summary>Playwright's driver and one headless chromium, closed together.</summary>
    internal sealed class Chromium(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
    {
        public IBrowser Browser => browser;

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    internal static async Task<Chromium> LaunchAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: the browser tests drive Debian's chromium (apt-get install chromium; tests/install-peers.sh does it)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Root in CI has no user namespace for chromium's sandbox.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        return new Chromium(playwright, browser);
    }

    internal static Task<TestServer> StartAsync() => TestServer.StartAsync(o =>
        o.Server.Web = new WebOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) });

    internal static async Task<IPage> OpenAsync(IBrowser browser, TestServer server, int width = 1100, int height = 800)
    {
        // The server's own self-signed certificate: a person compares its fingerprint once; the test trusts it.
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = true,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        await page.GotoAsync(server.Server.WebUrl!.ToString());
        return page;
    }

    internal static async Task LoginWithPasswordAsync(IPage page, string user, string password)
    {
        await page.CheckAsync("#method-scram");
        await page.FillAsync("#login-user", user);
        await page.FillAsync("#login-password", password);
        await page.ClickAsync("#login-submit");
    }

    internal static async Task LoginWithKeyAsync(IPage page, TestServer server)
    {
        await page.CheckAsync("#method-key");
        await page.FillAsync("#login-key", (await File.ReadAllTextAsync(server.KeyFile)).Trim());
        await page.ClickAsync("#login-submit");
        await page.WaitForSelectorAsync("#tab-chat");
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });
    }

    [Fact]
    public async Task A_good_password_logs_in_and_a_bad_one_is_refused_in_words()
    {
        await using var server = await StartAsync();
        server.AddUser("ann", "correct horse", "chat", "files:read", "files:write");
        await using var chromium = await LaunchAsync();
        var browser = chromium.Browser;
        var page = await OpenAsync(browser, server);
        await ScreenshotAsync(page, "login");

        await LoginWithPasswordAsync(page, "ann", "wrong horse");
        var error = page.Locator("#login-error");
        await Assertions.Expect(error).ToContainTextAsync("unknown user or wrong password", new() { Timeout = Timeout });
        await Assertions.Expect(error).ToContainTextAsync("auth_failed");

        await LoginWithPasswordAsync(page, "ann", "correct horse");
        await Assertions.Expect(page.Locator("#conn-status")).ToContainTextAsync("Logged in as ann (scram-sha-256)", new() { Timeout = Timeout });
        // Nothing secret was kept: no cookie, nothing in storage (remember was not ticked), nothing in the address.
        Assert.Empty(await page.Context.CookiesAsync());
        Assert.Equal("0", (await page.EvaluateAsync<int>("localStorage.length")).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain("horse", page.Url);
    }

    [Fact]
    public async Task A_message_typed_in_the_page_reaches_a_ferry_chat_process_and_one_from_the_cli_appears_in_the_page()
    {
        await using var server = await StartAsync();
        await using var chromium = await LaunchAsync();
        var browser = chromium.Browser;
        var page = await OpenAsync(browser, server);
        await LoginWithKeyAsync(page, server);
        await page.FillAsync("#chat-room", "deck");
        await page.FillAsync("#chat-nick", "webby");
        await page.ClickAsync("#chat-join");
        await Assertions.Expect(page.Locator("#chat-status")).ToContainTextAsync("In deck as webby", new() { Timeout = Timeout });

        string target = $"127.0.0.1:{server.EndPoint.Port}";
        var home = Path.Combine(server.DataDirectory, "cli-home");
        Directory.CreateDirectory(home);
        // A real `ferry chat --wait` member listening; the page sends once it sees that member join.
        var reader = CliBinary.RunAsync(["chat", target, .. server.ClientArgs, "--room", "deck", "--nick", "clibob", "--json", "--wait", "6"], home, TimeSpan.FromSeconds(60));
        await Assertions.Expect(page.Locator("#chat-members")).ToContainTextAsync("clibob", new() { Timeout = Timeout });
        // Control characters are refused by the server (nobody may drive another member's terminal): said in words.
        await page.FillAsync("#chat-text", "red \u001b[31m text");
        await page.PressAsync("#chat-text", "Enter");
        await Assertions.Expect(page.Locator("#chat-log li.notice", new() { HasTextString = "Not sent" })).ToContainTextAsync("bad_request", new() { Timeout = Timeout });
        await page.FillAsync("#chat-text", "hello from the page <b>not bold</b> " + new string('w', 300));
        await page.PressAsync("#chat-text", "Enter");
        var read = await reader;
        Assert.True(read.ExitCode == 0, read.StdErr);
        Assert.Contains("hello from the page", read.StdOut);

        var sent = await CliBinary.RunAsync(["chat", target, .. server.ClientArgs, "--room", "deck", "--nick", "clian", "--send", "hello from the cli"], home, TimeSpan.FromSeconds(60));
        Assert.True(sent.ExitCode == 0, sent.StdErr);
        var line = page.Locator("#chat-log li.message", new() { HasTextString = "hello from the cli" });
        await Assertions.Expect(line).ToContainTextAsync("clian", new() { Timeout = Timeout });
        // The page's own message is shown as text: the markup is not parsed; the long word wraps inside the log.
        var own = page.Locator("#chat-log li.message", new() { HasTextString = "hello from the page" });
        await Assertions.Expect(own).ToContainTextAsync("<b>not bold</b>");
        Assert.True(await page.EvaluateAsync<bool>("() => { const log = document.getElementById('chat-log'); return log.scrollWidth <= log.clientWidth; }"));
        Assert.Equal(0, await page.Locator("#chat-log b").CountAsync());
        await ScreenshotAsync(page, "chat");
        // Phone width: still usable (the members column folds under the log).
        await page.SetViewportSizeAsync(390, 800);
        await ScreenshotAsync(page, "chat-phone");
    }

    [Fact]
    public async Task A_50_MiB_upload_from_the_page_lands_with_its_hash_and_downloads_back_checked()
    {
        await using var server = await StartAsync();
        var local = Path.Combine(server.DataDirectory, "upload-50m.bin");
        var bytes = new byte[50 * 1024 * 1024];
        new Random(19).NextBytes(bytes);
        await File.WriteAllBytesAsync(local, bytes);
        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes));
        bytes = [];

        await using var chromium = await LaunchAsync();
        var browser = chromium.Browser;
        var page = await OpenAsync(browser, server);
        await LoginWithKeyAsync(page, server);
        await page.ClickAsync("#tab-files");
        await page.FillAsync("#files-mkdir-name", "inbox");
        await page.ClickAsync("#files-mkdir");
        await page.ClickAsync("#files-list button.dir >> text=inbox/");
        await Assertions.Expect(page.Locator("#files-path")).ToContainTextAsync("inbox", new() { Timeout = Timeout });
        await page.SetInputFilesAsync("#files-picker", local);
        var done = page.Locator("#files-progress li.transfer.done");
        await Assertions.Expect(done).ToHaveCountAsync(1, new() { Timeout = 240_000 });
        Assert.Equal(expected, await done.GetAttributeAsync("data-sha256"));
        var landed = Path.Combine(server.Options.Files.Root ?? Path.Combine(server.DataDirectory, "files"), "inbox", "upload-50m.bin");
        await using (var stream = File.OpenRead(landed)) Assert.Equal(expected, Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)));
        await ScreenshotAsync(page, "files");

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#files-list tr[data-name='upload-50m.bin'] button.download"),
            new() { Timeout = 240_000 });
        var saved = Path.Combine(server.DataDirectory, "downloaded.bin");
        await download.SaveAsAsync(saved);
        await using (var stream = File.OpenRead(saved)) Assert.Equal(expected, Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)));
    }

    [Fact]
    public async Task A_500_MiB_upload_cut_by_a_page_reload_resumes_where_it_stopped()
    {
        await using var server = await StartAsync();
        var local = Path.Combine(server.DataDirectory, "big-500m.bin");
        string expected;
        await using (var file = File.Create(local))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var block = new byte[4 * 1024 * 1024];
            var random = new Random(500);
            for (int i = 0; i < 125; i++)
            {
                random.NextBytes(block);
                hash.AppendData(block);
                await file.WriteAsync(block);
            }
            expected = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        await using var chromium = await LaunchAsync();
        var browser = chromium.Browser;
        var page = await OpenAsync(browser, server);
        await LoginWithKeyAsync(page, server);
        await page.ClickAsync("#tab-files");
        await page.SetInputFilesAsync("#files-picker", local);
        // Reload once a fifth of it is on the server (the overall bar is the page's own count of bytes sent).
        await page.WaitForFunctionAsync("() => document.getElementById('files-overall').value > 100 * 1024 * 1024", null, new() { Timeout = 240_000, PollingInterval = 50 });
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#login")).ToBeVisibleAsync();
        await LoginWithKeyAsync(page, server);
        await page.ClickAsync("#tab-files");
        await Assertions.Expect(page.Locator("#files-pending")).ToContainTextAsync("big-500m.bin");
        await page.SetInputFilesAsync("#files-picker", local);
        var done = page.Locator("#files-progress li.transfer.done");
        await Assertions.Expect(done).ToHaveCountAsync(1, new() { Timeout = 300_000 });
        await Assertions.Expect(done).ToContainTextAsync("resumed at");
        Assert.Equal(expected, await done.GetAttributeAsync("data-sha256"));
        var landed = Path.Combine(server.DataDirectory, "files", "big-500m.bin");
        await using (var stream = File.OpenRead(landed)) Assert.Equal(expected, Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)));
        await Assertions.Expect(page.Locator("#files-pending")).ToBeEmptyAsync();
    }

    [Fact]
    public async Task A_page_on_another_origin_cannot_open_the_websocket()
    {
        await using var server = await StartAsync();
        await using var chromium = await LaunchAsync();
        var browser = chromium.Browser;
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        var page = await context.NewPageAsync();
        // A foreign page (served by the test itself at another origin) tries the server's WebSocket.
        await page.RouteAsync("https://evil.example/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = "<!doctype html><title>evil</title>",
        }));
        await page.GotoAsync("https://evil.example/");
        var socketUrl = server.Server.WebUrl!.ToString().Replace("https://", "wss://", StringComparison.Ordinal) + "ferry";
        var outcome = await page.EvaluateAsync<string>("""
            url => new Promise(resolve => {
              const ws = new WebSocket(url);
              ws.onopen = () => resolve("open");
              ws.onerror = () => resolve("refused");
            })
            """, socketUrl);
        Assert.Equal("refused", outcome);
    }
}
