using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Coffer.Cli.Agent;

namespace Coffer.Cli.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class AgentTransportTests
{
    [Fact]
    public async Task Framing_RoundTrip_KeepsEveryByte()
    {
        using MemoryStream stream = new();
        byte[] payload = Encoding.UTF8.GetBytes("{\"op\":\"status\"}");
        await AgentFraming.WriteAsync(stream, payload, CancellationToken.None);
        Assert.Equal(new byte[] { 0, 0, 0, (byte)payload.Length }, stream.ToArray()[..4]);
        stream.Position = 0;
        Assert.Equal(payload, await AgentFraming.ReadAsync(stream, CancellationToken.None));
        Assert.Null(await AgentFraming.ReadAsync(stream, CancellationToken.None));
    }

    [Fact]
    public async Task Framing_LengthAboveLimit_IsRefusedBeforeReading()
    {
        using MemoryStream stream = new([0x7f, 0xff, 0xff, 0xff]);
        await Assert.ThrowsAsync<InvalidDataException>(() => AgentFraming.ReadAsync(stream, CancellationToken.None));
    }

    [Fact]
    public async Task Framing_StreamEndingInsideFrame_IsRefused()
    {
        using MemoryStream stream = new([0, 0, 0, 9, 1, 2]);
        await Assert.ThrowsAsync<InvalidDataException>(() => AgentFraming.ReadAsync(stream, CancellationToken.None));
    }

    /// <summary>SO_PEERCRED (socket(7)) on a real Unix socket pair names this process and its user.</summary>
    [Fact]
    public void PeerCredentials_OfConnectedUnixSocket_NameThisProcessAndUser()
    {
        string dir = Directory.CreateTempSubdirectory("coffer-peer-").FullName;
        try
        {
            string path = Path.Combine(dir, "s");
            using Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            using Socket client = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(path));
            using Socket accepted = listener.Accept();

            PeerCredentials peer = PeerCredentials.Of(accepted);

            Assert.Equal(Environment.ProcessId, peer.ProcessId);
            Assert.Equal(Native.GetEffectiveUserId(), peer.UserId);
            Assert.True(PeerCredentials.IsSameUser(peer, Native.GetEffectiveUserId()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void IsSameUser_AnotherUid_IsRefused()
    {
        PeerCredentials nobody = new(1234, 65534, 65534);
        Assert.False(PeerCredentials.IsSameUser(nobody, 0));
        Assert.False(PeerCredentials.IsSameUser(new PeerCredentials(1, 0, 0), 1000));
    }

    [Fact]
    public void Request_UnknownOperation_IsNotDeserialised()
    {
        byte[] json = Encoding.UTF8.GetBytes("{\"op\":\"export-everything\"}");
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, AgentJsonContext.Default.AgentRequest));
    }

    [Fact]
    public void Request_RoundTrip_KeepsTheOperationAndFields()
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes<AgentRequest>(new UnlockRequest("m1", "pw"), AgentJsonContext.Default.AgentRequest);
        Assert.Contains("\"op\":\"unlock\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        UnlockRequest back = Assert.IsType<UnlockRequest>(JsonSerializer.Deserialize(json, AgentJsonContext.Default.AgentRequest));
        Assert.Equal(("m1", "pw"), (back.Account, back.Password));
    }
}
