using Coffer.Contracts.Errors;

namespace Coffer.Sdk.Http;

/// <summary>The server answered with a problem (RFC 9457). Switch on <see cref="Type"/>, one of <see cref="ErrorTypes"/>.</summary>
public sealed class CofferApiException : Exception
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
}

/// <summary>
/// The server's answer breaks the protocol — a proof that does not verify, an envelope that does not
/// open, a key without provenance, a counter that went backwards. Never retried silently; the
/// message says what to do and never carries a secret.
/// </summary>
public class CofferProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CofferProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public CofferProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>The session is no longer valid (expired, ended, device revoked): sign in again.</summary>
public sealed class CofferSessionExpiredException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CofferSessionExpiredException()
        : base("The session has ended; sign in again.")
    {
    }
}
