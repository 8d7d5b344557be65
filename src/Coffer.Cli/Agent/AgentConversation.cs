using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts.Mfa;
using Coffer.Sdk.Mfa;

namespace Coffer.Cli.Agent;

/// <summary>
/// The person behind one agent connection, for the second factor a sign-in owes (docs/adr/0022): the agent writes a prompt
/// frame, the CLI shows it, reads the code (terminal or <c>--otp-stdin</c>) and answers on the same connection. A code never
/// passes through argv, the environment or a file.
/// </summary>
internal sealed class AgentConversation(Stream stream) : IMfaHandler
{
    /// <summary>A person reading a code off a phone: generous, but not forever.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(5);

    private int _codesAsked;

    public async Task<MfaCode> GetCodeAsync(IReadOnlyList<string> methods, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(methods);
        string code = await AskCodeAsync(new AgentPrompt(PromptKinds.MfaCode, methods), cancellationToken).ConfigureAwait(false);
        return new MfaCode(KindOf(code, methods), code);
    }

    public Task<string> EnrolAsync(TotpEnrolment enrolment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        return AskCodeAsync(new AgentPrompt(PromptKinds.MfaEnrol, [MfaKinds.Totp], enrolment.Uri), cancellationToken);
    }

    /// <summary>A code to confirm <paramref name="action"/> (step-up, docs/adr/0024): the prompt names what is being confirmed.</summary>
    public async Task<MfaCode> GetStepUpCodeAsync(string action, IReadOnlyList<string> methods, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(methods);
        string code = await AskCodeAsync(new AgentPrompt(PromptKinds.StepUp, methods, Action: action), cancellationToken).ConfigureAwait(false);
        return new MfaCode(KindOf(code, methods), code);
    }

    /// <summary>Shows backup codes once (the CLI acknowledges).</summary>
    public async Task ShowBackupCodesAsync(IReadOnlyList<string> codes, CancellationToken cancellationToken) =>
        _ = await AskAsync(new AgentPrompt(PromptKinds.BackupCodes, BackupCodes: codes), cancellationToken).ConfigureAwait(false);

    /// <summary>Six digits is a TOTP code when TOTP is allowed; anything else is a backup code (16 base32 characters).</summary>
    internal static string KindOf(string code, IReadOnlyList<string> methods)
    {
        string digits = new([.. code.Where(c => !char.IsWhiteSpace(c))]);
        bool totp = digits.Length == 6 && digits.All(char.IsAsciiDigit);
        return (totp && methods.Contains(MfaKinds.Totp)) || !methods.Contains(MfaKinds.BackupCode) ? MfaKinds.Totp : MfaKinds.BackupCode;
    }

    private async Task<string> AskCodeAsync(AgentPrompt prompt, CancellationToken cancellationToken)
    {
        _codesAsked++;
        AgentAnswer answer = await AskAsync(prompt, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(answer.Code))
        {
            // With --otp-stdin the CLI has one code to give: asked again, the one it gave was refused.
            throw new CliException(ExitCodes.AuthFailed, _codesAsked > 1
                ? "That one-time code was not accepted: use the current code from your authenticator app, or a backup code."
                : "No one-time code was given: the organisation asks for a second factor.");
        }
        return answer.Code.Trim();
    }

    private async Task<AgentAnswer> AskAsync(AgentPrompt prompt, CancellationToken cancellationToken)
    {
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(new AgentReply(true, Prompt: prompt), AgentJsonContext.Default.AgentReply);
        try
        {
            await AgentFraming.WriteAsync(stream, bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // An enrolment's URI holds the TOTP secret.
            CryptographicOperations.ZeroMemory(bytes);
        }
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        byte[]? frame;
        try
        {
            frame = await AgentFraming.ReadAsync(stream, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.AuthFailed, "No one-time code was given in time.");
        }
        if (frame is null)
        {
            throw new CliException(ExitCodes.AuthFailed, "The command went away before giving a one-time code.");
        }
        try
        {
            return JsonSerializer.Deserialize(frame, AgentJsonContext.Default.AgentAnswer)
                ?? throw new CliException(ExitCodes.AuthFailed, "No one-time code was given.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(frame);
        }
    }
}
