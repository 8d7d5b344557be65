using Coffer.Contracts.Accounts;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Setup;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// A password or Secret Key change made on this device (<see cref="AccountCredentials"/>): the request to send and everything
/// the client keeps afterwards — the new derived keys and KDF parameters (for <c>SignIn.SignInAgainAsync</c>), what the device
/// remembers, and for a new Secret Key the key itself and a new Emergency Kit. Holds secrets: dispose it when they are stored.
/// </summary>
/// <remarks>
/// Store a new Secret Key (and offer the kit) before <see cref="AccountCredentials.SubmitAsync"/>: if the answer is lost, the
/// server may have switched to it, and then it exists only here. Until the change is submitted the old credentials stay valid;
/// once it succeeds, only the new ones sign in.
/// </remarks>
public sealed class CredentialChange : IDisposable
{
    private readonly Pins _pins;
    private bool _disposed;

    internal CredentialChange(string kind, string memberId, ChangeCredentialsRequest request, DerivedAccountKeys accountKeys, KdfParameters kdf,
        RememberedAccount account, Pins pins, SecretKey? secretKey, EmergencyKit? emergencyKit)
    {
        Kind = kind;
        MemberId = memberId;
        Request = request;
        AccountKeys = accountKeys;
        Kdf = kdf;
        Account = account;
        _pins = pins;
        SecretKey = secretKey;
        EmergencyKit = emergencyKit;
    }

    /// <summary>What changes: <see cref="CredentialChangeKinds.Password"/> or <see cref="CredentialChangeKinds.SecretKey"/>.</summary>
    public string Kind { get; }

    /// <summary>The member whose credentials change.</summary>
    public string MemberId { get; }

    /// <summary>The body of <c>POST /api/v1/account/credentials</c>: KDF parameters, verifier and the keyset key sealed by the new AUK.</summary>
    public ChangeCredentialsRequest Request { get; }

    /// <summary>The new AUK and SRP x. Disposed with this change; copy them (<see cref="DerivedAccountKeys.Copy"/>) to keep them.</summary>
    public DerivedAccountKeys AccountKeys { get; }

    /// <summary>The new KDF parameters (fresh salt; iterations never fewer than before).</summary>
    public KdfParameters Kdf { get; }

    /// <summary>What the device remembers, with the new iteration count: store it in place of the old one.</summary>
    public RememberedAccount Account { get; }

    /// <summary>The new Secret Key (Secret Key regeneration only, else null). Store it in place of the old one; disposed with this change.</summary>
    public SecretKey? SecretKey { get; }

    /// <summary>The new Emergency Kit (Secret Key regeneration only, else null): the person prints it and destroys the old one.</summary>
    public EmergencyKit? EmergencyKit { get; }

    /// <summary>After a successful <see cref="AccountCredentials.SubmitAsync"/>: how many other sessions the server ended; else null.</summary>
    public int? EndedSessions { get; private set; }

    /// <summary>True once the server accepted the change.</summary>
    public bool Submitted => EndedSessions is not null;

    internal void MarkSubmitted(int endedSessions)
    {
        EndedSessions = endedSessions;
        // The unlocked account's pins learn the new count, so a server that later offers fewer iterations is refused.
        _ = _pins.ObserveIterations(Kdf.Iterations);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Zeroes the derived keys and the new Secret Key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        AccountKeys.Dispose();
        SecretKey?.Dispose();
    }
}
