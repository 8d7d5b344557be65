using Coffer.Contracts.Errors;
using Coffer.Sdk.Mfa;

namespace Coffer.Sdk.Errors;

/// <summary>The server answered with a problem (RFC 9457). Switch on <see cref="Type"/>, one of <see cref="ErrorTypes"/>.</summary>
public sealed class CofferApiException : CofferException
{
    /// <summary>Creates the exception from the server's problem.</summary>
    public CofferApiException(int status, ProblemDto? problem)
        : base(problem?.Title ?? $"The server answered {status}.")
    {
        Status = status;
        Problem = problem;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The problem as received (null if the server sent none).</summary>
    public ProblemDto? Problem { get; }

    /// <summary>The problem type, or null.</summary>
    public string? Type => Problem?.Type;

    /// <summary>Seconds to wait before retrying, from Retry-After, when the server gave one.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>
    /// For <see cref="ErrorTypes.StepUpRequired"/>: the action, the window and what the member may present (docs/adr/0024).
    /// Nothing was changed, so the request may be sent again after stepping up (<see cref="MfaClient.StepUpAsync"/>).
    /// </summary>
    public StepUpChallenge? StepUp { get; init; }
}
