using System.Text.Json;
using Microsoft.Playwright;

namespace Coffer.Testing.Browser;

/// <summary>
/// The machine's Chromium (/usr/bin/chromium, installed by scripts/test), headless, driven by Playwright with a fresh
/// profile. Playwright never downloads a browser here: the executable is given and downloads are switched off.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly DirectoryInfo _profile;

    private HeadlessChromium(IPlaywright playwright, IBrowserContext context, DirectoryInfo profile)
    {
        _playwright = playwright;
        _context = context;
        _profile = profile;
    }

    public static async Task<HeadlessChromium> StartAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: scripts/test installs Debian's chromium package.");
        }
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        IPlaywright playwright = await Playwright.CreateAsync();
        DirectoryInfo profile = Directory.CreateTempSubdirectory("coffer-chromium-");
        try
        {
            IBrowserContext context = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                ],
            });
            return new HeadlessChromium(playwright, context, profile);
        }
        catch
        {
            playwright.Dispose();
            profile.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>A new tab with a DevTools virtual authenticator (CTAP2 over USB, presence always given) attached to it.</summary>
    public async Task<VirtualSecurityKey> NewTabWithSecurityKeyAsync(bool residentKeys, bool userVerification)
    {
        IPage page = await _context.NewPageAsync();
        ICDPSession devTools = await _context.NewCDPSessionAsync(page);
        await devTools.SendAsync("WebAuthn.enable");
        JsonElement? added = await devTools.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "usb",
                ["hasResidentKey"] = residentKeys,
                ["hasUserVerification"] = userVerification,
                ["isUserVerified"] = userVerification,
                ["automaticPresenceSimulation"] = true,
            },
        });
        string authenticatorId = added!.Value.GetProperty("authenticatorId").GetString()!;
        return new VirtualSecurityKey(page, devTools, authenticatorId);
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        _playwright.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its last files; the temp folder is the system's to clean.
        }
    }
}

/// <summary>A browser tab and the virtual security key attached to it.</summary>
public sealed class VirtualSecurityKey(IPage page, ICDPSession devTools, string authenticatorId)
{
    public IPage Page { get; } = page;

    /// <summary>Opens <paramref name="address"/> (the page runs the ceremony on its own once loaded).</summary>
    public async Task OpenAsync(Uri address)
    {
        // From a blank page, so a second ceremony is a real load even though only the fragment differs.
        await Page.GotoAsync("about:blank");
        await Page.GotoAsync(address.ToString());
    }

    /// <summary>The page's status line once it contains <paramref name="text"/>.</summary>
    public async Task<string> WaitForStatusAsync(string text)
    {
        ILocator status = Page.Locator("#status");
        await Assertions.Expect(status).ToContainTextAsync(text, new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
        return await status.InnerTextAsync();
    }

    /// <summary>The credentials the authenticator holds (DevTools <c>WebAuthn.getCredentials</c>).</summary>
    public async Task<IReadOnlyList<JsonElement>> CredentialsAsync()
    {
        JsonElement? answer = await devTools.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = authenticatorId });
        return [.. answer!.Value.GetProperty("credentials").EnumerateArray().Select(c => c.Clone())];
    }
}
