using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts.Mfa;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.WebAuthn;

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

    /// <summary>What the person types at a code prompt to use their security key instead.</summary>
    internal const string SecurityKeyWord = "key";

    private int _codesAsked;

    /// <summary>
    /// The server whose <c>/webauthn</c> page runs a security-key ceremony (docs/adr/0026, "Browser ceremony"): set by whoever
    /// hands this person to the SDK for a sign-in or a step-up.
    /// </summary>
    public Uri? Server { get; set; }

    public async Task<MfaCode> GetCodeAsync(IReadOnlyList<string> methods, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(methods);
        if (OnlySecurityKey(methods))
        {
            return MfaCode.SecurityKey;
        }
        string code = await AskCodeAsync(new AgentPrompt(PromptKinds.MfaCode, methods), cancellationToken).ConfigureAwait(false);
        return ToCode(code, methods);
    }

    /// <summary>A sign-in or step-up assertion through the browser: the CLI shows (and opens) the page's one-time address.</summary>
    public Task<WebAuthnAssertionCredentialDto> GetSecurityKeyAssertionAsync(WebAuthnRequestOptionsDto options, CancellationToken cancellationToken)
    {
        Uri server = Server ?? throw new InvalidOperationException("No server is known for the security-key page.");
        return UseBrowserAsync(BrowserCeremony.StartAssertion(server, options, "Coffer asks for your security key."), cancellationToken);
    }

    /// <summary>Registers a security key through the browser (<c>coffer mfa add-security-key</c>).</summary>
    public Task<WebAuthnRegistrationCredentialDto> RegisterSecurityKeyAsync(Uri server, WebAuthnCreationOptionsDto options, string name,
        CancellationToken cancellationToken) =>
        UseBrowserAsync(BrowserCeremony.StartRegistration(server, options, $"Coffer adds your security key \"{name}\"."), cancellationToken);

    public Task<string> EnrolAsync(TotpEnrolment enrolment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        return AskCodeAsync(new AgentPrompt(PromptKinds.MfaEnrol, [MfaKinds.Totp], enrolment.Uri), cancellationToken);
    }

    /// <summary>A code to confirm <paramref name="action"/> (step-up, docs/adr/0024): the prompt names what is being confirmed.</summary>
    public async Task<MfaCode> GetStepUpCodeAsync(string action, IReadOnlyList<string> methods, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(methods);
        if (OnlySecurityKey(methods))
        {
            return MfaCode.SecurityKey;
        }
        string code = await AskCodeAsync(new AgentPrompt(PromptKinds.StepUp, methods, Action: action), cancellationToken).ConfigureAwait(false);
        return ToCode(code, methods);
    }

    /// <summary>"key" chooses the security key when one is allowed; anything else is a code (<see cref="KindOf"/>).</summary>
    internal static MfaCode ToCode(string code, IReadOnlyList<string> methods) =>
        methods.Contains(MfaKinds.SecurityKey) && string.Equals(code.Trim(), SecurityKeyWord, StringComparison.OrdinalIgnoreCase)
            ? MfaCode.SecurityKey
            : new MfaCode(KindOf(code, methods), code);

    private static bool OnlySecurityKey(IReadOnlyList<string> methods) => methods.Count > 0 && methods.All(m => m == MfaKinds.SecurityKey);

    /// <summary>
    /// The ceremony's listener runs here, in the agent; the person's terminal gets the page's address (to stderr, and to a
    /// browser when one can be opened) and acknowledges at once; then the browser's answer is awaited.
    /// </summary>
    private async Task<T> UseBrowserAsync<T>(BrowserCeremony<T> ceremony, CancellationToken cancellationToken)
        where T : class
    {
        await using (ceremony.ConfigureAwait(false))
        {
            _ = await AskAsync(new AgentPrompt(PromptKinds.SecurityKey, Uri: ceremony.PageAddress.ToString()), cancellationToken).ConfigureAwait(false);
            try
            {
                return await ceremony.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BrowserCeremonyException e)
            {
                throw new CliException(ExitCodes.AuthFailed, e.Message);
            }
        }
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
