using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Coffer.Testing;

/// <summary>
/// <c>coffer-server</c> as a real process (the built Coffer.Server.dll) on a loopback port with its own
/// data directory: what an operator runs, so a test can kill it with SIGKILL and start it again. Shared by the server's
/// end-to-end tests and tests/Coffer.EndToEnd.Tests (which reference Coffer.Server so its build lands beside them).
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static int FreePort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static ProcessStartInfo Command(string dataDirectory, params string[] args)
    {
        ProcessStartInfo psi = new("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Coffer.Server.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.ArgumentList.Add("--Coffer:DataDirectory=" + dataDirectory);
        psi.ArgumentList.Add("--Coffer:MinimumKdfIterations=1000");
        return psi;
    }

    /// <summary>Starts the server on <paramref name="port"/>; <paramref name="settings"/> are more <c>--Key=value</c> flags.</summary>
    public static Task<ServerProcess> StartAsync(string dataDirectory, int port, params string[] settings) =>
        StartAsync(dataDirectory, new Uri($"http://127.0.0.1:{port}"), null, settings);

    /// <summary>
    /// Starts the server on <paramref name="address"/> (https needs <c>--Coffer:Tls:…</c> among <paramref name="settings"/>);
    /// the readiness probe trusts only <paramref name="serverCertificate"/> when one is given.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, Uri address, System.Security.Cryptography.X509Certificates.X509Certificate2? serverCertificate,
        params string[] settings)
    {
        Process process = Process.Start(Command(dataDirectory, ["--urls", address.ToString().TrimEnd('/'), .. settings]))
            ?? throw new InvalidOperationException("dotnet did not start");
        ServerProcess server = new(process, address);
        using HttpClientHandler handler = new();
        if (serverCertificate is not null)
        {
            handler.ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.RawData.AsSpan().SequenceEqual(serverCertificate.RawData);
        }
        using HttpClient probe = new(handler, disposeHandler: false) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        for (int i = 0; i < 300; i++)
        {
            try
            {
                using HttpResponseMessage ready = await probe.GetAsync("/health/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (process.HasExited)
            {
                break;
            }
            await Task.Delay(100);
        }
        string output = server.Output;
        server.Dispose();
        throw new InvalidOperationException("coffer-server did not become ready:\n" + output);
    }

    /// <summary>The token of the one-time setup link the server printed (in the URL fragment).</summary>
    public async Task<string> SetupTokenAsync()
    {
        for (int i = 0; i < 200; i++)
        {
            string output = Output;
            int at = output.IndexOf("#token=", StringComparison.Ordinal);
            if (at >= 0)
            {
                return new string([.. output[(at + 7)..].TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')]);
            }
            await Task.Delay(50);
        }
        throw new InvalidOperationException("No setup link was printed:\n" + Output);
    }

    /// <summary>The whole one-time setup link the server printed (the token in its fragment).</summary>
    public async Task<string> SetupLinkAsync()
    {
        string token = await SetupTokenAsync();
        string output = Output;
        int at = output.IndexOf("#token=" + token, StringComparison.Ordinal);
        int start = output.LastIndexOf("http", at, StringComparison.Ordinal);
        return output[start..(at + 7 + token.Length)];
    }

    /// <summary>Runs a <c>coffer-server</c> command (backup, restore, audit verify) to its end.</summary>
    public static async Task<(int Exit, string Output)> RunCommandAsync(ProcessStartInfo psi)
    {
        using Process p = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut of the process.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
