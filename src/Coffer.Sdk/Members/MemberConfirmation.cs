using Coffer.Contracts;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Crypto.Generators;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Members;

/// <summary>
/// A member waiting for confirmation, as the confirming client sees them: their keys, fingerprints and the
/// short authentication string both clients show (PROTOCOL.md §5.1 "First contact").
/// </summary>
public sealed class PendingMember
{
    internal PendingMember(PendingMemberKeysResponse keys, byte[] encryptionPublicKey, byte[] signingPublicKey, Fingerprint encryption,
        Fingerprint signing, IReadOnlyList<string> sas)
    {
        MemberId = keys.MemberId;
        Email = keys.Email;
        Name = keys.Name;
        BaseGroup = keys.BaseGroup;
        KeysetId = keys.KeysetId;
        KeysetSerial = (int)keys.KeysetSerial;
        EncryptionPublicKey = encryptionPublicKey;
        SigningPublicKey = signingPublicKey;
        EncryptionFingerprint = encryption;
        SigningFingerprint = signing;
        ShortAuthenticationString = sas;
    }

    /// <summary>The member id.</summary>
    public string MemberId { get; }

    /// <summary>Their email (as the server says; not part of anything signed).</summary>
    public string Email { get; }

    /// <summary>Their display name.</summary>
    public string Name { get; }

    /// <summary>The group the invitation named.</summary>
    public string BaseGroup { get; }

    /// <summary>Their keyset id.</summary>
    public string KeysetId { get; }

    /// <summary>Their keyset serial.</summary>
    public int KeysetSerial { get; }

    /// <summary>Their RSA public key, DER SPKI.</summary>
    public byte[] EncryptionPublicKey { get; }

    /// <summary>Their ECDSA P-256 public key, DER SPKI.</summary>
    public byte[] SigningPublicKey { get; }

    /// <summary>The fingerprint of their encryption key.</summary>
    public Fingerprint EncryptionFingerprint { get; }

    /// <summary>The fingerprint of their signing key.</summary>
    public Fingerprint SigningFingerprint { get; }

    /// <summary>The six words to compare with the member's client before confirming.</summary>
    public IReadOnlyList<string> ShortAuthenticationString { get; }
}

/// <summary>
/// Confirming a member (PROTOCOL.md §8), in two steps so the caller can show the fingerprints and the SAS and
/// have them compared before anything is signed: <see cref="FetchAsync"/>, then <see cref="ConfirmAsync"/>, which
/// certifies the member's keys with the administrator's issuer key and wraps the base group's key to them,
/// signed with the administrator's own signing key.
/// </summary>
public static class MemberConfirmation
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    /// <summary>Fetches a pending member's keys and computes their fingerprints and SAS.</summary>
    /// <exception cref="CofferProtocolException">The server sent keys that are not canonical SPKIs of the right kinds.</exception>
    public static async Task<PendingMember> FetchAsync(CofferSession session, UnlockedAccount admin, string memberId,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        PendingMemberKeysResponse keys = await session.SendAsync(HttpMethod.Get, $"/api/v1/members/{Uri.EscapeDataString(memberId)}/keys",
            Json.PendingMemberKeysResponse, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(keys.MemberId, memberId, StringComparison.Ordinal)
            || !Base64Url.TryDecode(keys.EncryptionPublicKey, out byte[]? encryption)
            || !Fingerprint.TryFromSpki(encryption, out Fingerprint encFpr, out SpkiAlgorithm encAlg) || encAlg != SpkiAlgorithm.Rsa
            || !Base64Url.TryDecode(keys.SigningPublicKey, out byte[]? signing)
            || !Fingerprint.TryFromSpki(signing, out Fingerprint sigFpr, out SpkiAlgorithm sigAlg) || sigAlg != SpkiAlgorithm.EcP256)
        {
            throw WireMapper.Malformed("the pending member's keys", "not canonical RSA and P-256 public keys of the member asked for");
        }
        Fingerprint organisation = admin.Account.OrganisationFingerprint;
        IReadOnlyList<string> sas = ShortAuthenticationString.Compute(organisation.AsSpan(), memberId, encFpr.AsSpan(), sigFpr.AsSpan());
        return new PendingMember(keys, encryption, signing, encFpr, sigFpr, sas);
    }

    /// <summary>
    /// Certifies the member and gives them their base group's key and, when <paramref name="additionalGroupKinds"/> names any,
    /// the keys of those built-in groups too (say <c>administrators</c>, to confirm a new Administrator), each wrap signed by
    /// this account.
    /// </summary>
    /// <exception cref="InvalidOperationException">This account holds no current issuer key, or not the key of a group to give.</exception>
    public static async Task ConfirmAsync(CofferSession session, UnlockedAccount admin, PendingMember member, TimeProvider clock,
        IReadOnlyList<string>? additionalGroupKinds = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(clock);
        if (admin.IssuerKey is not { } issuerKey || admin.IssuerCertificate is not { } issuer || admin.IssuerStatus != ProvenanceFailure.None)
        {
            throw new InvalidOperationException("This account holds no current issuer key: only an administrator's client can confirm members.");
        }
        List<UnlockedGroup> groups = [];
        foreach (string kind in (additionalGroupKinds ?? []).Prepend(member.BaseGroup).Distinct(StringComparer.Ordinal))
        {
            groups.Add(admin.GroupOfKind(kind) ?? throw new InvalidOperationException("This account cannot open the " + kind + " group's key."));
        }
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        MemberCertificate certificate = Signing.CertifyMember(issuerKey, admin.Trust.OrgId, issuer.Record.IssuerId, member.MemberId, member.BaseGroup,
            member.KeysetId, member.KeysetSerial, member.EncryptionPublicKey, member.SigningPublicKey, now);
        List<SignedWrapDto> wraps = [];
        foreach (UnlockedGroup group in groups)
        {
            byte[] wrapped = group.Keyset.WrapSymmetricKeyTo(member.EncryptionPublicKey);
            SignedWrap wrap = Signing.SignWrap(admin.Keyset.SigningKey, admin.MemberId, WrapObjectKinds.Group, group.GroupId, group.Keyset.Serial,
                member.MemberId, member.EncryptionPublicKey, wrapped);
            wraps.Add(WireMapper.ToDto(wrap, CertKinds.Member, member.KeysetSerial));
        }
        ConfirmMemberRequest request = new(WireMapper.ToDto(certificate), wraps);
        _ = await session.ExchangeAsync(HttpMethod.Post, $"/api/v1/members/{Uri.EscapeDataString(member.MemberId)}/confirm",
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(request, Json.ConfirmMemberRequest), cancellationToken).ConfigureAwait(false);
    }
}
