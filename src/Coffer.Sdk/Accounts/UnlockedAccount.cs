using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Signatures;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// An account after <see cref="AccountUnlock"/>: the member's own keyset, the group keysets it
/// reached through verified signed wraps, its issuer key (administrators) and the organisation
/// root key (Owners), with the organisation trust they were verified under and the updated pins.
/// Holds private keys: dispose it to lock, which zeroes and disposes every key.
/// </summary>
public sealed class UnlockedAccount : IDisposable
{
    private readonly Keyset _keyset;
    private readonly Dictionary<string, UnlockedGroup> _groups;
    private readonly EcdsaP256PrivateKey? _issuerKey;
    private readonly EcdsaP256PrivateKey? _rootKey;
    private bool _disposed;

    internal UnlockedAccount(RememberedAccount account, Keyset keyset, MemberCertificate certificate, OrganisationTrust trust, Pins pins,
        Dictionary<string, UnlockedGroup> groups, IReadOnlyDictionary<string, GroupCertificate> groupCertificates,
        EcdsaP256PrivateKey? issuerKey, IssuerCertificate? issuerCertificate, ProvenanceFailure issuerStatus, EcdsaP256PrivateKey? rootKey)
    {
        Account = account;
        _keyset = keyset;
        Certificate = certificate;
        Trust = trust;
        Pins = pins;
        _groups = groups;
        GroupCertificates = groupCertificates;
        _issuerKey = issuerKey;
        IssuerCertificate = issuerCertificate;
        IssuerStatus = issuerStatus;
        _rootKey = rootKey;
    }

    /// <summary>What the device remembers, with the iteration count of this unlock.</summary>
    public RememberedAccount Account { get; }

    /// <summary>The member id.</summary>
    public string MemberId => Account.MemberId;

    /// <summary>The verified certificate naming this member (it names exactly <see cref="Keyset"/>'s keys).</summary>
    public MemberCertificate Certificate { get; }

    /// <summary>The organisation trust everything here was verified under (root, newest revocation list).</summary>
    public OrganisationTrust Trust { get; }

    /// <summary>
    /// The pins, updated with the organisation, the revocation list, every verified subject key and
    /// the iteration count. The caller seals them (<see cref="Pins.Seal"/>) and stores them.
    /// </summary>
    public Pins Pins { get; }

    /// <summary>The member's keyset.</summary>
    /// <exception cref="ObjectDisposedException">The account was locked.</exception>
    public Keyset Keyset
    {
        get
        {
            ThrowIfDisposed();
            return _keyset;
        }
    }

    /// <summary>The groups this member opened, by group id.</summary>
    /// <exception cref="ObjectDisposedException">The account was locked.</exception>
    public IReadOnlyDictionary<string, UnlockedGroup> Groups
    {
        get
        {
            ThrowIfDisposed();
            return _groups;
        }
    }

    /// <summary>Every group certificate the server presented and this client verified (opened or not), by group id.</summary>
    public IReadOnlyDictionary<string, GroupCertificate> GroupCertificates { get; }

    /// <summary>The member's issuer key (administrators and Owners), or null.</summary>
    /// <exception cref="ObjectDisposedException">The account was locked.</exception>
    public EcdsaP256PrivateKey? IssuerKey
    {
        get
        {
            ThrowIfDisposed();
            return _issuerKey;
        }
    }

    /// <summary>The certificate of <see cref="IssuerKey"/>, or null.</summary>
    public IssuerCertificate? IssuerCertificate { get; }

    /// <summary>
    /// Whether the issuer certificate is valid now (<see cref="ProvenanceFailure.None"/>) or, say,
    /// <see cref="ProvenanceFailure.Expired"/> and due for renewal by an Owner before it signs anything.
    /// </summary>
    public ProvenanceFailure IssuerStatus { get; }

    /// <summary>The organisation root key (Owners only), or null.</summary>
    /// <exception cref="ObjectDisposedException">The account was locked.</exception>
    public EcdsaP256PrivateKey? RootKey
    {
        get
        {
            ThrowIfDisposed();
            return _rootKey;
        }
    }

    /// <summary>The opened group of a built-in kind (<see cref="GroupKinds"/>), or null.</summary>
    /// <exception cref="ObjectDisposedException">The account was locked.</exception>
    public UnlockedGroup? GroupOfKind(string kind)
    {
        ThrowIfDisposed();
        return _groups.Values.FirstOrDefault(g => string.Equals(g.Kind, kind, StringComparison.Ordinal));
    }

    /// <summary>Locks: zeroes and disposes every key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _keyset.Dispose();
        foreach (UnlockedGroup group in _groups.Values)
        {
            group.Dispose();
        }
        _issuerKey?.Dispose();
        _rootKey?.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
