using Coffer.Protocol.Signatures;

namespace Coffer.Sdk.Errors;

/// <summary>
/// The server's audit key has no certificate by the organisation root (docs/adr/0016): no Owner has certified it yet, or
/// the server's key file was replaced since. Nothing it signed is countersigned. This is not in itself an attack — a new
/// server, or an operator who replaced the key — but an Owner must look at it: show the fingerprint, and have an Owner's
/// client certify the key (<see cref="Audit.AuditClient.CertifyKeyAsync"/>) once they know it is the server's.
/// </summary>
public sealed class AuditKeyUncertifiedException : CofferProtocolException
{
    /// <summary>Creates the exception with a default message.</summary>
    public AuditKeyUncertifiedException()
        : base("The server's audit key is not certified by the organisation root.")
    {
    }

    /// <summary>Creates the exception with a message for a person.</summary>
    public AuditKeyUncertifiedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    public AuditKeyUncertifiedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for the uncertified key <paramref name="fingerprint"/>.</summary>
    public AuditKeyUncertifiedException(Fingerprint fingerprint)
        : base($"The server's audit key {fingerprint.ToDisplayString()} is not certified by the organisation root, so nothing it signs is "
            + "countersigned. An Owner must certify it once they know it is the server's key (it was never certified, or the server's key file "
            + "was replaced).")
    {
        AuditKeyFingerprint = fingerprint;
    }

    /// <summary>The fingerprint of the uncertified audit key, when known.</summary>
    public Fingerprint? AuditKeyFingerprint { get; }
}
