using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coffer.Protocol.Tests.Srp;

/// <summary>
/// tests/node/srp-peer.mjs (fast-srp-hap 2.0.4) as a child process speaking JSON lines. Starting
/// it throws when node is missing, so interoperability tests fail rather than skip.
/// </summary>
internal sealed class NodeSrpPeer : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private NodeSrpPeer(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    public static NodeSrpPeer Start()
    {
        string script = Path.Combine(TestData.RepoRoot, "tests", "node", "srp-peer.mjs");
        string modules = Path.Combine(TestData.RepoRoot, "tests", "node", "node_modules", "fast-srp-hap");
        if (!Directory.Exists(modules))
        {
            throw new InvalidOperationException("fast-srp-hap is not installed: run `cd tests/node && npm ci` (scripts/test does).");
        }
        ProcessStartInfo info = new("node")
        {
            ArgumentList = { script },
            WorkingDirectory = Path.GetDirectoryName(script)!,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        // A missing node throws Win32Exception here: the test fails, as it should.
        Process process = Process.Start(info) ?? throw new InvalidOperationException("node did not start.");
        return new NodeSrpPeer(process);
    }

    public async Task<JsonElement> SendAsync(JsonObject request)
    {
        await _process.StandardInput.WriteLineAsync(request.ToJsonString());
        await _process.StandardInput.FlushAsync();
        using CancellationTokenSource timeout = new(Timeout);
        string? line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null)
        {
            throw new InvalidOperationException("srp-peer.mjs exited: " + Stderr());
        }
        JsonElement answer = JsonDocument.Parse(line).RootElement.Clone();
        if (answer.TryGetProperty("error", out JsonElement error))
        {
            throw new InvalidOperationException("srp-peer.mjs: " + error.GetString());
        }
        return answer;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }
        _process.Dispose();
    }

    private string Stderr()
    {
        lock (_stderr)
        {
            return _stderr.ToString();
        }
    }
}
