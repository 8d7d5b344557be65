using Coffer.Cli.Agent;
using Coffer.Contracts.Auth;
using QRCoder;

namespace Coffer.Cli.Terminal;

/// <summary>
/// The CLI's side of a sign-in that owes a second factor (docs/adr/0022): shows an enrolment (the <c>otpauth://</c> URI and its
/// QR code), reads a code at the terminal or — with <c>--otp-stdin</c> — one line of standard input (after the Secret Key and
/// the password lines when those come from stdin too), and shows new backup codes once. Everything goes to stderr, so
/// stdout keeps only the command's result. A code is never taken from argv or the environment.
/// </summary>
internal sealed class SecondFactorPrompt(Input input, Output output, bool otpStdin)
{
    private bool _stdinUsed;

    public AgentAnswer Answer(AgentPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        switch (prompt.Kind)
        {
            case PromptKinds.MfaEnrol:
                output.Note("Your organisation asks for a second factor. Add this account to an authenticator app: scan this QR code,");
                output.Note(QrCode(prompt.Uri ?? ""));
                output.Note("or enter this address in the app (it holds the factor's secret; keep it to yourself):");
                output.Note(prompt.Uri ?? "");
                return new AgentAnswer(ReadCode("Code the app shows: "));
            case PromptKinds.MfaCode:
                return new AgentAnswer(ReadCode(CodeLabel(prompt.Methods)));
            case PromptKinds.StepUp:
                output.Note($"Confirm {StepUpActions.Describe(prompt.Action ?? "")}: this needs your second factor again.");
                return new AgentAnswer(ReadCode(CodeLabel(prompt.Methods)));
            case PromptKinds.SecurityKey:
                // Always printed: a browser may not open (no display, another user), and tests read it from here.
                output.Note("Open this address in a browser on this computer: " + (prompt.Uri ?? ""));
                WebBrowser.TryOpen(prompt.Uri ?? "");
                output.Note("Waiting for your security key…");
                return new AgentAnswer(null);
            case PromptKinds.BackupCodes:
                output.Note("Your backup codes, each usable once when you do not have your authenticator app. They are shown only now:");
                foreach (string code in prompt.BackupCodes ?? [])
                {
                    output.Note("  " + code);
                }
                output.Note("Store them somewhere safe, apart from this device (e.g. with your Emergency Kit). `coffer mfa backup-codes` makes new ones.");
                return new AgentAnswer(null);
            default:
                return new AgentAnswer(null);
        }
    }

    private static string CodeLabel(IReadOnlyList<string>? methods) =>
        methods is not null && methods.Contains(Coffer.Contracts.Mfa.MfaKinds.SecurityKey)
            ? $"One-time code, a backup code, or \"{AgentConversation.SecurityKeyWord}\" to use your security key: "
            : "One-time code (or a backup code): ";

    /// <summary>The code; null when stdin's one code was already given (the agent then reports it refused).</summary>
    private string? ReadCode(string label)
    {
        if (otpStdin)
        {
            if (_stdinUsed)
            {
                return null;
            }
            _stdinUsed = true;
            // Said on stderr so a script's log shows why the command waits.
            output.Note("Reading the one-time code from standard input.");
            return input.ReadStdinLine("the one-time code");
        }
        return input.Ask(label, "--otp-stdin");
    }

    /// <summary>Two modules per character (half blocks), with the quiet zone, so it fits a terminal and phones read it.</summary>
    internal static string QrCode(string text)
    {
        using QRCodeGenerator generator = new();
        using QRCodeData data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        using AsciiQRCode code = new(data);
        return code.GetGraphicSmall(drawQuietZones: true, invert: false, endOfLine: Environment.NewLine);
    }
}
