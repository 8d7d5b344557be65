using System.Net.Sockets;
using System.Text.Json;
using Coffer.Cli.Agent;
using Coffer.Cli.Terminal;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Mfa;
using Coffer.Sdk.Mfa;

namespace Coffer.Cli.Tests;

/// <summary>The second factor a sign-in owes, between the agent and the CLI (docs/adr/0022).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SecondFactorPromptTests
{
    private const string Uri = "otpauth://totp/Coffer:ann%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=Coffer";

    [Theory]
    [InlineData("123456", MfaKinds.Totp)]
    [InlineData(" 123 456 ", MfaKinds.Totp)]
    [InlineData("abcd-efgh-ijkl-mnop", MfaKinds.BackupCode)]
    [InlineData("1234567", MfaKinds.BackupCode)]
    public void KindOf_TypedCode_IsTotpOnlyForSixDigits(string code, string kind) =>
        Assert.Equal(kind, AgentConversation.KindOf(code, [MfaKinds.Totp, MfaKinds.BackupCode]));

    [Theory]
    [InlineData("key", true)]
    [InlineData(" KEY ", true)]
    [InlineData("123456", false)]
    [InlineData("keys", false)]
    public void ToCode_KeyWordWithSecurityKeyOffered_ChoosesTheSecurityKey(string typed, bool securityKey) =>
        Assert.Equal(securityKey, AgentConversation.ToCode(typed, [MfaKinds.SecurityKey, MfaKinds.Totp, MfaKinds.BackupCode]).Kind == MfaKinds.SecurityKey);

    [Fact]
    public void ToCode_KeyWordWithoutSecurityKeyOffered_IsACode() =>
        Assert.Equal(MfaKinds.BackupCode, AgentConversation.ToCode("key", [MfaKinds.Totp, MfaKinds.BackupCode]).Kind);

    [Fact]
    public void Answer_SecurityKey_PrintsTheAddressOnStderr_AndAcknowledgesAtOnce()
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        string previous = Environment.GetEnvironmentVariable("BROWSER") ?? "";
        Environment.SetEnvironmentVariable("BROWSER", "/bin/true");
        try
        {
            SecondFactorPrompt prompt = new(new Input(new StringReader(""), stderr), new Terminal.Output(false, stdout, stderr), otpStdin: true);
            const string page = "http://localhost:8443/webauthn#http://127.0.0.1:40000/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

            AgentAnswer answer = prompt.Answer(new AgentPrompt(PromptKinds.SecurityKey, Uri: page));

            Assert.Null(answer.Code);
            Assert.Contains("Open this address in a browser on this computer: " + page, stderr.ToString(), StringComparison.Ordinal);
            Assert.Equal("", stdout.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("BROWSER", previous.Length == 0 ? null : previous);
        }
    }

    [Fact]
    public void KindOf_OnlyTotpAllowed_IsTotp() => Assert.Equal(MfaKinds.Totp, AgentConversation.KindOf("abcd-efgh", [MfaKinds.Totp]));

    [Fact]
    public void Answer_Enrolment_ShowsUriAndQrOnStderr_AndReadsOneCodeFromStdin()
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        SecondFactorPrompt prompt = new(new Input(new StringReader("654321\n"), stderr), new Terminal.Output(false, stdout, stderr), otpStdin: true);

        AgentAnswer first = prompt.Answer(new AgentPrompt(PromptKinds.MfaEnrol, [MfaKinds.Totp], Uri));
        AgentAnswer again = prompt.Answer(new AgentPrompt(PromptKinds.MfaCode, [MfaKinds.Totp]));

        Assert.Equal("654321", first.Code);
        Assert.Null(again.Code);
        Assert.Contains(Uri, stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains('█', stderr.ToString());
        Assert.Empty(stdout.ToString());
    }

    [Fact]
    public void Answer_StepUp_NamesTheActionOnStderr_AndReadsOneCodeFromStdin()
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        SecondFactorPrompt prompt = new(new Input(new StringReader("112233\n"), stderr), new Terminal.Output(false, stdout, stderr), otpStdin: true);

        AgentAnswer answer = prompt.Answer(new AgentPrompt(PromptKinds.StepUp, [MfaKinds.Totp], Action: StepUpActions.DeauthoriseOtherDevice));

        Assert.Equal("112233", answer.Code);
        Assert.Contains("Confirm deauthorising another member's device", stderr.ToString(), StringComparison.Ordinal);
        Assert.Empty(stdout.ToString());
    }

    [Fact]
    public void Answer_BackupCodes_ShowsEachOnceWithAWordOnKeepingThem()
    {
        using StringWriter stderr = new();
        SecondFactorPrompt prompt = new(new Input(new StringReader(""), stderr), new Terminal.Output(false, TextWriter.Null, stderr), otpStdin: true);

        AgentAnswer answer = prompt.Answer(new AgentPrompt(PromptKinds.BackupCodes, BackupCodes: ["aaaa-bbbb-cccc-dddd", "eeee-ffff-gggg-hhhh"]));

        Assert.Null(answer.Code);
        Assert.Contains("  aaaa-bbbb-cccc-dddd", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("Store them", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void QrCode_OfUri_IsSquareBlockArt()
    {
        string[] lines = SecondFactorPrompt.QrCode(Uri).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.True(lines.Length > 10);
        Assert.All(lines, l => Assert.Equal(lines[0].Length, l.Length));
    }

    /// <summary>The agent asks over the connection and gets the code the CLI answered; a missing answer on a retry is a refused code.</summary>
    [Fact]
    public async Task Conversation_OverSocket_AsksAndTakesTheAnswer_ThenNoAnswerIsARefusal()
    {
        (Socket agentSide, Socket cliSide) = Pair();
        using (agentSide)
        using (cliSide)
        {
            await using NetworkStream agent = new(agentSide);
            await using NetworkStream cli = new(cliSide);
            AgentConversation conversation = new(agent);
            Task<MfaCode> asked = conversation.GetCodeAsync([MfaKinds.Totp, MfaKinds.BackupCode], CancellationToken.None);
            AgentReply prompt = JsonSerializer.Deserialize((await AgentFraming.ReadAsync(cli, CancellationToken.None))!, AgentJsonContext.Default.AgentReply)!;
            await AgentFraming.WriteAsync(cli, JsonSerializer.SerializeToUtf8Bytes(new AgentAnswer("123456"), AgentJsonContext.Default.AgentAnswer),
                CancellationToken.None);
            MfaCode code = await asked;
            Task<MfaCode> again = conversation.GetCodeAsync([MfaKinds.Totp], CancellationToken.None);
            _ = await AgentFraming.ReadAsync(cli, CancellationToken.None);
            await AgentFraming.WriteAsync(cli, JsonSerializer.SerializeToUtf8Bytes(new AgentAnswer(null), AgentJsonContext.Default.AgentAnswer),
                CancellationToken.None);
            CliException refused = await Assert.ThrowsAsync<CliException>(() => again);

            Assert.Equal(PromptKinds.MfaCode, prompt.Prompt?.Kind);
            Assert.Equal(new MfaCode(MfaKinds.Totp, "123456"), code);
            Assert.Equal(ExitCodes.AuthFailed, refused.ExitCode);
            Assert.StartsWith("That one-time code was not accepted", refused.Message, StringComparison.Ordinal);
        }
    }

    private static (Socket, Socket) Pair()
    {
        string dir = Directory.CreateTempSubdirectory("coffer-conv-").FullName;
        string path = Path.Combine(dir, "s");
        using Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        Socket client = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        Socket accepted = listener.Accept();
        Directory.Delete(dir, recursive: true);
        return (accepted, client);
    }
}
