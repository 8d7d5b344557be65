using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Coffer.Benchmarking;

/// <summary>
/// coffer-server (Release) as its own process for the benchmark programs in bench/: started on a loopback port with a data
/// directory, waited on until ready, its setup token read from what it prints. Compiled into each program that needs it.
/// </summary>
internal static class BenchServer
{
    /// <summary>Starts <c>dotnet serverDll</c> on <paramref name="address"/>; <paramref name="output"/> collects stdout and stderr.</summary>
    public static Process Start(string serverDll, string data, Uri address, out StringBuilder output, params string[] settings)
    {
        ProcessStartInfo psi = new("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(serverDll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(address.ToString().TrimEnd('/'));
        psi.ArgumentList.Add("--Coffer:DataDirectory=" + data);
        foreach (string setting in settings)
        {
            psi.ArgumentList.Add(setting);
        }
        Process process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        StringBuilder lines = new();
        process.OutputDataReceived += (_, e) => { lock (lines) { lines.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (lines) { lines.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = lines;
        return process;
    }

    public static async Task WaitReadyAsync(Uri address, Process process, StringBuilder output)
    {
        using HttpClient probe = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        for (int i = 0; i < 300 && !process.HasExited; i++)
        {
            try
            {
                using HttpResponseMessage ready = await probe.GetAsync("/health/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        lock (output)
        {
            throw new InvalidOperationException("coffer-server did not become ready:\n" + output);
        }
    }

    public static async Task<string> SetupTokenAsync(StringBuilder output)
    {
        for (int i = 0; i < 200; i++)
        {
            string text;
            lock (output)
            {
                text = output.ToString();
            }
            int at = text.IndexOf("#token=", StringComparison.Ordinal);
            if (at >= 0)
            {
                return new string([.. text[(at + 7)..].TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')]);
            }
            await Task.Delay(50);
        }
        throw new InvalidOperationException("coffer-server printed no setup link");
    }

    public static int FreePort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
