using System.Diagnostics;
using System.Text.Json;

namespace Coffer.Server.Tests.Common;

/// <summary>One message the sink received, decoded by Python's email package.</summary>
internal sealed record SmtpMessage(string MailFrom, string[] RcptTos, string From, string To, string Subject, string Body);

/// <summary>
/// A real SMTP server on loopback: Debian's aiosmtpd (<c>python3-aiosmtpd</c>, installed by scripts/test) running
/// <c>tests/smtp/smtp_sink.py</c>, which writes each message it accepts to a folder. Fails (never skips) when Debian's
/// python3 or aiosmtpd is missing.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    // Debian's interpreter: the one python3-aiosmtpd installs into, whatever else is first on PATH.
    private const string Python = "/usr/bin/python3";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly Process _process;
    private readonly string _folder;

    private SmtpSink(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SmtpSink> StartAsync()
    {
        string script = Path.Combine(TestData.RepoRoot, "tests", "smtp", "smtp_sink.py");
        Assert.True(File.Exists(Python), $"{Python} is missing: install Debian's python3 and python3-aiosmtpd (scripts/test does)");
        string folder = Path.Combine(Path.GetTempPath(), "coffer-smtp-" + Guid.NewGuid().ToString("N"));
        ProcessStartInfo psi = new(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(folder);
        Process process = Process.Start(psi) ?? throw new InvalidOperationException("python3 did not start");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using CancellationTokenSource wait = new(TimeSpan.FromSeconds(30));
        string? line = await process.StandardOutput.ReadLineAsync(wait.Token);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"the SMTP sink did not start (is python3-aiosmtpd installed?):\n{line}\n{await stderr}");
        }
        return new SmtpSink(process, folder, int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The messages received so far, oldest first.</summary>
    public SmtpMessage[] Messages() => Directory.Exists(_folder)
        ? [.. Directory.GetFiles(_folder, "*.json")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture))
            .Select(f => JsonSerializer.Deserialize<SmtpMessage>(File.ReadAllText(f), JsonOptions)!)]
        : [];

    /// <summary>Waits (up to 30 s) until <paramref name="count"/> messages have arrived.</summary>
    public async Task<SmtpMessage[]> WaitForAsync(int count)
    {
        for (int i = 0; i < 300; i++)
        {
            SmtpMessage[] messages = Messages();
            if (messages.Length >= count)
            {
                return messages;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"fewer than {count} messages reached the SMTP sink");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
