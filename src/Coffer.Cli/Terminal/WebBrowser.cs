using System.Diagnostics;

namespace Coffer.Cli.Terminal;

/// <summary>
/// Opens an address in the person's browser when this computer has a way to: <c>$BROWSER</c> (the Debian convention), else
/// <c>xdg-open</c>. Best effort only: the address is always printed too, for a person without a display or a browser here.
/// </summary>
internal static class WebBrowser
{
    public static void TryOpen(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            return;
        }
        string? program = Environment.GetEnvironmentVariable("BROWSER") is { Length: > 0 } browser
            ? browser.Split(':')[0]
            : Find("xdg-open");
        if (program is null)
        {
            return;
        }
        try
        {
            ProcessStartInfo start = new(program)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(address);
            using Process? process = Process.Start(start);
            process?.StandardInput.Close();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            // No browser after all: the printed address is the way.
        }
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
