using Coffer.Crypto.Provenance;

namespace Coffer.Sdk.Errors;

/// <summary>
/// A key-provenance check failed (PROTOCOL.md §5.1, docs/adr/0005): a root that is not the pinned
/// one, a certificate or wrap whose signature or chain does not hold, a key that contradicts a pin,
/// an older revocation list. Everything checked is public, so the reason is safe to show; the
/// client must "stop and warn loudly".
/// </summary>
public class ProvenanceException : CofferProtocolException
{
    /// <summary>Creates the exception with a default message.</summary>
    public ProvenanceException()
        : base("A key from the server could not be verified.")
    {
    }

    /// <summary>Creates the exception with a message for a person.</summary>
    public ProvenanceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    public ProvenanceException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed check.</summary>
    /// <param name="failure">Why the check failed.</param>
    /// <param name="subject">What was checked, in words (e.g. "the certificate of group administrators").</param>
    public ProvenanceException(ProvenanceFailure failure, string subject)
        : base(Compose(failure, subject))
    {
        Failure = failure;
        Subject = subject;
    }

    /// <summary>Why the check failed.</summary>
    public ProvenanceFailure Failure { get; }

    /// <summary>What was checked, in words; null when not given.</summary>
    public string? Subject { get; }

    /// <summary>A short explanation of a provenance failure.</summary>
    public static string Describe(ProvenanceFailure failure) => failure switch
    {
        ProvenanceFailure.None => "no failure",
        ProvenanceFailure.BadSignature => "its signature does not verify",
        ProvenanceFailure.FingerprintMismatch => "a public key is not the one its fingerprint names",
        ProvenanceFailure.WrongOrganisation => "it belongs to another organisation",
        ProvenanceFailure.Expired => "it lies outside its issuer's validity",
        ProvenanceFailure.Revoked => "it has been revoked",
        ProvenanceFailure.WrongSigner => "it is signed by someone who may not sign it",
        ProvenanceFailure.Mismatch => "it differs from what this device knows to be true",
        ProvenanceFailure.StaleRevocationList => "the revocation list is older than one this device has already seen",
        _ => "it failed verification",
    };

    private static string Compose(ProvenanceFailure failure, string subject) =>
        $"Could not verify {subject}: {Describe(failure)}. The server may be compromised or misconfigured; "
        + "do not continue, and tell an administrator of your organisation.";
}
