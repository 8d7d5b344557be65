using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;

namespace Coffer.Sdk.Accounts;

/// <summary>A group whose certificate was verified and whose keyset this member opened through signed wraps.</summary>
public sealed class UnlockedGroup : IDisposable
{
    private readonly Keyset _keyset;
    private bool _disposed;

    internal UnlockedGroup(string name, GroupCertificate certificate, Keyset keyset)
    {
        Name = name;
        Certificate = certificate;
        _keyset = keyset;
    }

    /// <summary>The group id.</summary>
    public string GroupId => Certificate.Record.GroupId;

    /// <summary>The group kind as certified (<c>owners</c>, <c>administrators</c>, …).</summary>
    public string Kind => Certificate.Record.GroupKind;

    /// <summary>The display name (as the server says; not signed).</summary>
    public string Name { get; }

    /// <summary>The verified group certificate.</summary>
    public GroupCertificate Certificate { get; }

    /// <summary>The opened group keyset.</summary>
    /// <exception cref="ObjectDisposedException">The account was locked.</exception>
    public Keyset Keyset
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _keyset;
        }
    }

    /// <summary>Zeroes the group keyset (done by <see cref="UnlockedAccount.Dispose"/>).</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _keyset.Dispose();
        }
    }
}
