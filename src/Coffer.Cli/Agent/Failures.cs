using System.Globalization;
using System.Security.Authentication;
using Coffer.Contracts.Errors;
using Coffer.Sdk.Errors;

namespace Coffer.Cli.Agent;

/// <summary>Turns what went wrong into an exit code and one line for a person (never a secret).</summary>
internal static class Failures
{
    public const string LockedMessage = "coffer is locked: run `coffer unlock` (or `coffer signin` on a new device).";

    /// <summary>The agent cannot ask for a code by itself (e.g. its silent re-sign-in, ADR 0018): the person unlocks at a terminal.</summary>
    public const string SecondFactorMessage = "The organisation asks for your second factor again: run `coffer unlock`.";

    public const string StepUpMessage =
        "This action needs a fresh second factor and none was given, so nothing was changed: run it again where you can enter a code (or pass one with --otp-stdin).";

    public static AgentFailure From(Exception exception, string? server = null) => exception switch
    {
        CliException e => new AgentFailure(e.ExitCode, e.Message, e.Problem),
        CofferApiException e => FromProblem(e),
        UnlockFailedException e => new AgentFailure(ExitCodes.AuthFailed, e.Message),
        CofferDeviceWipedException e => new AgentFailure(ExitCodes.Locked,
            "This device was deauthorised for the account; coffer deleted what it kept of the account here. Sign in again as a new device with `coffer signin`."),
        CofferSessionExpiredException => new AgentFailure(ExitCodes.Locked, "Your session has ended: run `coffer unlock`."),
        ServerRestoredException e => new AgentFailure(ExitCodes.Refused, e.Message),
        CofferProtocolException e => new AgentFailure(ExitCodes.Refused, "Refused for your safety: " + e.Message),
        HttpRequestException { InnerException: AuthenticationException } => new AgentFailure(ExitCodes.Refused,
            $"The server{At(server)} presented a TLS certificate this device does not trust; if it is your organisation's own, pass --ca-file or --server-pin."),
        HttpRequestException e => new AgentFailure(ExitCodes.Unreachable, $"Cannot reach the server{At(server)}: {e.Message}"),
        TaskCanceledException or TimeoutException => new AgentFailure(ExitCodes.Unreachable, $"The server{At(server)} did not answer in time."),
        FormatException e => new AgentFailure(ExitCodes.Usage, e.Message),
        ArgumentException e => new AgentFailure(ExitCodes.Usage, e.Message),
        _ => new AgentFailure(ExitCodes.Error, "The coffer agent failed: " + exception.Message),
    };

    private static AgentFailure FromProblem(CofferApiException e)
    {
        ProblemDto? problem = e.Problem;
        string said = problem?.Detail ?? problem?.Title ?? string.Create(CultureInfo.InvariantCulture, $"The server answered {e.Status}.");
        (int code, string message) = e.Type switch
        {
            ErrorTypes.SignInFailed => (ExitCodes.AuthFailed, "Sign-in failed: wrong password or Secret Key."),
            ErrorTypes.AccountSuspended => (ExitCodes.AuthFailed, "Your account is suspended: ask an administrator of your organisation to reactivate it."),
            // Delays never exceed a minute (docs/adr/0025); a longer wait is the account's lock on devices it never completed a sign-in on.
            ErrorTypes.TooManyAttempts => (ExitCodes.AuthFailed, e.RetryAfterSeconds switch
            {
                int s when s > 60 => string.Create(CultureInfo.InvariantCulture,
                    $"Too many attempts: this account is locked on new devices for {(s + 59) / 60} more minute(s). Sign in from a device you used before, or ask an administrator to release it (coffer member unlock)."),
                int s => string.Create(CultureInfo.InvariantCulture, $"Too many attempts: try again in {s} seconds."),
                _ => "Too many attempts: try again later.",
            }),
            ErrorTypes.MfaRequired or ErrorTypes.AdminMfaRequired => (ExitCodes.AuthFailed, SecondFactorMessage),
            // Reached only when the step-up itself could not be given (no prompt possible, or the code was not accepted twice).
            ErrorTypes.StepUpRequired => (ExitCodes.AuthFailed, StepUpMessage),
            ErrorTypes.MfaFailed => (ExitCodes.AuthFailed, "That one-time code was not accepted: use the current code from your authenticator app, or a backup code."),
            ErrorTypes.Unauthenticated => (ExitCodes.Locked, LockedMessage),
            ErrorTypes.Forbidden => (ExitCodes.Forbidden, "Not allowed: " + said),
            ErrorTypes.NotFound => (ExitCodes.NotFound, "Not found: " + said),
            ErrorTypes.AlreadySetUp => (ExitCodes.Conflict, "This server is set up already: ask one of its Owners for an invitation."),
            ErrorTypes.ItemVersionConflict or ErrorTypes.VaultChanged or ErrorTypes.StaleVersion or ErrorTypes.StaleVaultKey
                or ErrorTypes.LastOwner or ErrorTypes.OwnMembership or ErrorTypes.MemberState => (ExitCodes.Conflict, said),
            _ => e.Status switch
            {
                401 => (ExitCodes.Locked, LockedMessage),
                403 => (ExitCodes.Forbidden, "Not allowed: " + said),
                404 => (ExitCodes.NotFound, "Not found: " + said),
                409 or 412 => (ExitCodes.Conflict, said),
                429 => (ExitCodes.AuthFailed, "Too many attempts: try again later."),
                _ => (ExitCodes.Error, "The server refused: " + said),
            },
        };
        return new AgentFailure(code, message, problem);
    }

    private static string At(string? server) => server is null ? "" : " at " + server;
}
