using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Coffer.Cli.Terminal;

/// <summary>
/// The desktop clipboard, through the tool the session has: <c>wl-copy</c>/<c>wl-paste</c> under Wayland, <c>xclip</c> or
/// <c>xsel</c> under X11. A copied secret is cleared after <see cref="DefaultClearAfter"/> by a detached
/// <c>coffer clipboard-guard</c>, and only if the clipboard still holds it (the guard gets its SHA-256 on stdin, never the
/// value, and compares in constant time), so something copied since is left alone.
/// </summary>
internal sealed record Clipboard(string Name, string CopyTool, string[] CopyArgs, string PasteTool, string[] PasteArgs, string[]? ClearArgs)
{
    public static readonly TimeSpan DefaultClearAfter = TimeSpan.FromSeconds(45);

    /// <summary>Overrides the 45 seconds (1 to 600), for tests and for people who want less.</summary>
    public const string ClearAfterVariable = "COFFER_CLIPBOARD_SECONDS";

    public const string NoClipboardMessage =
        "No clipboard here: copying needs a desktop session (WAYLAND_DISPLAY or DISPLAY) and wl-copy, xclip or xsel. Use --field to print the value.";

    public static TimeSpan ClearAfter =>
        int.TryParse(Environment.GetEnvironmentVariable(ClearAfterVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds)
            && seconds is >= 1 and <= 600
            ? TimeSpan.FromSeconds(seconds)
            : DefaultClearAfter;

    /// <summary>The clipboard of this session, or null when there is none (no display, or none of the tools).</summary>
    public static Clipboard? Find()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")) && OnPath("wl-copy") is string wlCopy
            && OnPath("wl-paste") is string wlPaste)
        {
            return new Clipboard("wl-copy", wlCopy, [], wlPaste, ["--no-newline"], ["--clear"]);
        }
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")))
        {
            if (OnPath("xclip") is string xclip)
            {
                return new Clipboard("xclip", xclip, ["-selection", "clipboard", "-in"], xclip, ["-selection", "clipboard", "-out"], null);
            }
            if (OnPath("xsel") is string xsel)
            {
                return new Clipboard("xsel", xsel, ["--clipboard", "--input"], xsel, ["--clipboard", "--output"], ["--clipboard", "--delete"]);
            }
        }
        return null;
    }

    /// <summary>Puts <paramref name="value"/> on the clipboard.</summary>
    /// <exception cref="CliException">The tool failed.</exception>
    public void Copy(string value) => Run(CopyTool, CopyArgs, value);

    /// <summary>Empties the clipboard.</summary>
    public void Clear()
    {
        if (ClearArgs is null)
        {
            Run(CopyTool, CopyArgs, "");
        }
        else
        {
            Run(CopyTool, ClearArgs, null);
        }
    }

    /// <summary>What the clipboard holds now, or null when it cannot be read.</summary>
    public string? Paste()
    {
        ProcessStartInfo psi = Start(PasteTool, PasteArgs);
        using Process process = Process.Start(psi) ?? throw new CliException("Could not start " + PasteTool + ".");
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            return null;
        }
        return process.ExitCode == 0 ? output.GetAwaiter().GetResult() : null;
    }

    /// <summary>The fingerprint the guard compares: SHA-256 of the UTF-8 value, hex.</summary>
    public static string Fingerprint(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>True when <paramref name="current"/> is the value whose fingerprint is <paramref name="fingerprint"/> (constant time).</summary>
    public static bool Holds(string? current, string fingerprint)
    {
        if (current is null)
        {
            return false;
        }
        byte[] expected = Encoding.ASCII.GetBytes(fingerprint);
        // Some tools add a line ending on the way out.
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Fingerprint(current)), expected)
            || CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Fingerprint(current.TrimEnd('\n'))), expected);
    }

    /// <summary>Starts <c>coffer clipboard-guard</c>, detached, to clear the clipboard after <paramref name="after"/> if it still holds the value.</summary>
    public static void StartGuard(string value, TimeSpan after)
    {
        string host = Environment.ProcessPath ?? throw new CliException("Cannot tell where the coffer program is.");
        ProcessStartInfo psi = new(host)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.Ordinal))
        {
            psi.ArgumentList.Add(typeof(Clipboard).Assembly.Location);
        }
        psi.ArgumentList.Add("clipboard-guard");
        psi.ArgumentList.Add(((long)after.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        using Process guard = Process.Start(psi) ?? throw new CliException("Could not start the clipboard guard.");
        guard.StandardInput.WriteLine(Fingerprint(value));
        guard.StandardInput.Close();
    }

    private static void Run(string tool, string[] args, string? input)
    {
        ProcessStartInfo psi = Start(tool, args);
        using Process process = Process.Start(psi) ?? throw new CliException("Could not start " + tool + ".");
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }
        process.StandardInput.Close();
        // The tools fork a child that serves the selection and may keep these pipes open: wait for the process, not the pipes.
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            throw new CliException(Path.GetFileName(tool) + " did not finish.");
        }
        if (process.ExitCode != 0)
        {
            throw new CliException(Path.GetFileName(tool) + " failed (exit " + process.ExitCode.ToString(CultureInfo.InvariantCulture) + ").");
        }
    }

    private static ProcessStartInfo Start(string tool, string[] args)
    {
        ProcessStartInfo psi = new(tool)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return psi;
    }

    private static string? OnPath(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }
        return null;
    }
}
