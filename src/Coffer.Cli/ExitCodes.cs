namespace Coffer.Cli;

/// <summary>
/// What <c>coffer</c> exits with (README.md, "Using the coffer command"). Scripts switch on these; the message on
/// stderr is for the person. The numbers are stable: add, never renumber.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>Anything not named below (a local file that cannot be written, an unexpected failure).</summary>
    public const int Error = 1;

    /// <summary>The command line is wrong, or a value typed is not acceptable (a password that breaks the rules).</summary>
    public const int Usage = 2;

    /// <summary>Sign-in refused: wrong password or Secret Key, a suspended account, too many attempts, a factor owed.</summary>
    public const int AuthFailed = 3;

    /// <summary>Locked or not signed in: no agent holds this account's keys (run <c>coffer unlock</c> or <c>coffer signin</c>).</summary>
    public const int Locked = 4;

    /// <summary>The server or this device has no such thing (or it is not yours to see).</summary>
    public const int NotFound = 5;

    /// <summary>The server refused because of the current state (already set up, already a member, changed since).</summary>
    public const int Conflict = 6;

    /// <summary>Signed in, but not allowed.</summary>
    public const int Forbidden = 7;

    /// <summary>
    /// Refused for safety: the server's answer broke the protocol, a key or certificate did not verify, the organisation
    /// fingerprint did not match, or its TLS certificate is not trusted. Tell an administrator; do not retry blindly.
    /// </summary>
    public const int Refused = 8;

    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 9;
}
