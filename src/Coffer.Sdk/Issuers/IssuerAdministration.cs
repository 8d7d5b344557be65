using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coffer.Contracts;
using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Http;
using Coffer.Sdk.Ids;
using Coffer.Sdk.Keys;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Issuers;

/// <summary>
/// Issuer keys of administrators (PROTOCOL.md §5.1; docs/adr/0006, docs/adr/0015) for one unlocked member over their
/// session. An administrator's client <see cref="RequestAsync">requests</see> a certificate for a new issuer key whose
/// private half it seals under its own keyset key (so every device of the administrator opens it at unlock). An Owner's
/// client, which holds the organisation root, <see cref="CertifyAsync">certifies</see> a request after checking that the
/// requester is an active member of Owners or Administrators whose member certificate chains to the pinned root,
/// <see cref="RenewAllAsync">renews</see> current administrators' certificates (at every sign-in), and
/// <see cref="RevokeAsync">revokes</see> a former administrator's issuers in the signed revocation list.
/// </summary>
public sealed class IssuerAdministration
{
    /// <summary>How long a certificate made here is valid: the most §5.1 allows.</summary>
    public static readonly TimeSpan Validity = OrganisationTrust.MaximumIssuerValidity;

    /// <summary>The renewal window <see cref="RenewAllAsync"/> uses when none is given: a certificate with less than this left is renewed.</summary>
    public static readonly TimeSpan DefaultRenewalWindow = TimeSpan.FromDays(30);

    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;
    private readonly UnlockedAccount _account;
    private readonly TimeProvider _clock;

    /// <summary>Issuer administration for <paramref name="account"/>, signed in as <paramref name="session"/>.</summary>
    public IssuerAdministration(CofferSession session, UnlockedAccount account, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        _session = session;
        _account = account;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>
    /// Makes a new issuer key (ECDSA P-256, a new issuer id), seals its private half under this member's keyset key with the
    /// issuer context of docs/adr/0006, and asks for it to be certified with role <c>admin</c>; a request made before is
    /// replaced. Nothing of the key stays in memory: once an Owner has certified it, the next unlock opens it.
    /// </summary>
    /// <returns>The new issuer id.</returns>
    /// <exception cref="CofferApiException">403 <c>forbidden</c>: this member is not in the Owners or Administrators group.</exception>
    public async Task<string> RequestAsync(CancellationToken cancellationToken = default)
    {
        string issuerId = UuidV7.New(_clock);
        IssuerKeyRequest request;
        using (EcdsaP256PrivateKey key = EcdsaP256.GenerateKey())
        {
            Crypto.Keys.Keyset keyset = _account.Keyset;
            Envelope sealedKey = SigningKeySeal.Seal(keyset, SigningKeySeal.IssuerContext(keyset.KeysetId, keyset.Serial, issuerId), key);
            request = new IssuerKeyRequest(issuerId, IssuerRoles.Admin, Base64Url.Encode(key.PublicKey.Spki), WireMapper.ToDto(sealedKey));
        }
        await SendAsync(HttpMethod.Post, "/api/v1/issuers/requests", request, Json.IssuerKeyRequest, cancellationToken).ConfigureAwait(false);
        return issuerId;
    }

    /// <summary>The pending requests of current administrators (Owners only; others get 403 <c>forbidden</c>).</summary>
    public async Task<IReadOnlyList<PendingIssuerRequestDto>> ListRequestsAsync(CancellationToken cancellationToken = default) =>
        (await _session.SendAsync(HttpMethod.Get, "/api/v1/issuers/requests", Json.IssuerRequestListResponse, cancellationToken)
            .ConfigureAwait(false)).Requests;

    /// <summary>
    /// Certifies a pending request with the organisation root for <see cref="Validity"/>, after checking that the requester is
    /// an active member of Owners or Administrators and that their member certificate chains to the pinned root and
    /// agrees with the pins.
    /// </summary>
    /// <exception cref="InvalidOperationException">This account does not hold the root key (only Owners do).</exception>
    /// <exception cref="ProvenanceException">The requester's member certificate does not verify.</exception>
    /// <exception cref="CofferProtocolException">The requester is not an active administrator, or the requested key is not a canonical P-256 key.</exception>
    public async Task<IssuerCertificate> CertifyAsync(PendingIssuerRequestDto request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        EcdsaP256PrivateKey root = Root();
        if (!string.Equals(request.Role, IssuerRoles.Admin, StringComparison.Ordinal))
        {
            throw new CofferProtocolException("Only administrators' issuer keys (role admin) are certified here.");
        }
        await RequireAdministratorAsync(request.HolderId, cancellationToken).ConfigureAwait(false);
        if (!Base64Url.TryDecode(request.PublicKey, out byte[]? spki) || !Fingerprint.TryFromSpki(spki, out _, out SpkiAlgorithm algorithm)
            || algorithm != SpkiAlgorithm.EcP256)
        {
            throw WireMapper.Malformed("the issuer request of member " + request.HolderId, "its key is not a canonical P-256 public key");
        }
        long now = Now();
        IssuerCertificate certificate = Signing.CertifyIssuer(root, _account.Trust.OrgId, request.IssuerId, IssuerRoles.Admin, request.HolderId, spki,
            now, now + (long)Validity.TotalMilliseconds);
        await PostAsync(certificate, cancellationToken).ConfigureAwait(false);
        return certificate;
    }

    /// <summary>
    /// Every issuer certificate of the organisation, each verified to the pinned root (judged at its own issue time; renewals
    /// included). Certificates of revoked issuers are left out.
    /// </summary>
    /// <exception cref="ProvenanceException">A certificate the server presents is not the root's.</exception>
    public async Task<IReadOnlyList<IssuerCertificate>> ListAsync(CancellationToken cancellationToken = default)
    {
        IssuerListResponse served = await _session.SendAsync(HttpMethod.Get, "/api/v1/issuers", Json.IssuerListResponse, cancellationToken)
            .ConfigureAwait(false);
        IReadOnlyList<IssuerCertificateDto> issuers = served.Issuers ?? throw new CofferProtocolException("The server's answer lacks the issuer certificates.");
        List<IssuerCertificate> verified = [];
        for (int i = 0; i < issuers.Count; i++)
        {
            IssuerCertificate certificate = WireMapper.ToIssuerCertificate(issuers[i], _account.Trust.OrgId,
                string.Create(CultureInfo.InvariantCulture, $"issuer certificate #{i + 1}"));
            ProvenanceFailure failure = _account.Trust.VerifyIssuer(certificate, certificate.Record.IssuedAt);
            if (failure == ProvenanceFailure.Revoked)
            {
                continue;
            }
            if (failure != ProvenanceFailure.None)
            {
                throw new ProvenanceException(failure, "the issuer certificate " + certificate.Record.IssuerId);
            }
            verified.Add(certificate);
        }
        return verified;
    }

    /// <summary>
    /// Renews, with the organisation root, the certificate of every issuer (same id and key, a new <see cref="Validity"/>)
    /// that has less than <paramref name="window"/> left (<see cref="DefaultRenewalWindow"/> when null) and whose holder is
    /// still an active member of Owners or Administrators with a verified member certificate. The revocation list is
    /// refreshed first, so revoked issuers are never renewed. An Owner's client calls this at every sign-in (§5.1).
    /// </summary>
    /// <returns>The new certificates.</returns>
    /// <exception cref="InvalidOperationException">This account does not hold the root key (only Owners do).</exception>
    public async Task<IReadOnlyList<IssuerCertificate>> RenewAllAsync(TimeSpan? window = null, CancellationToken cancellationToken = default)
    {
        EcdsaP256PrivateKey root = Root();
        long renewBefore = (long)(window ?? DefaultRenewalWindow).TotalMilliseconds;
        using (GroupClient groups = new(_session, _account, _clock))
        {
            _ = await groups.RefreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        }
        IReadOnlyList<IssuerCertificate> all = await ListAsync(cancellationToken).ConfigureAwait(false);
        List<IssuerCertificate> renewed = [];
        long now = Now();
        foreach (IssuerCertificate latest in all.GroupBy(c => c.Record.IssuerId, StringComparer.Ordinal)
                     .Select(g => g.MaxBy(c => c.Record.ExpiresAt)!))
        {
            IssuerTbs r = latest.Record;
            if (!string.Equals(r.Role, IssuerRoles.Admin, StringComparison.Ordinal) || r.ExpiresAt - now >= renewBefore
                || !await IsAdministratorAsync(r.HolderId, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }
            IssuerCertificate next = Signing.CertifyIssuer(root, _account.Trust.OrgId, r.IssuerId, r.Role, r.HolderId, latest.IssuerPublicKey, now,
                now + (long)Validity.TotalMilliseconds);
            await PostAsync(next, cancellationToken).ConfigureAwait(false);
            renewed.Add(next);
        }
        return renewed;
    }

    /// <summary>
    /// Revokes every issuer held by <paramref name="holderId"/> — call it when an administrator is removed from the
    /// organisation or from the Administrators (or Owners) group — by publishing the next revocation list with an
    /// <c>issuer:&lt;issuerId&gt;:0</c> entry for each (docs/adr/0004 decision 5), signed with the root when this account
    /// holds it, otherwise with its own issuer key. From then on the server accepts nothing newly signed by those issuers,
    /// and clients refuse everything they ever certified (docs/adr/0005 rule 4): call
    /// <see cref="RetireAsync"/> instead, which re-certifies the members and groups they certified first and then calls this.
    /// </summary>
    /// <returns>The published list, or the current one when the holder has no unrevoked issuer.</returns>
    /// <exception cref="InvalidOperationException">This account holds neither the root nor a current issuer key.</exception>
    public async Task<RevocationList> RevokeAsync(string holderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        using GroupClient groups = new(_session, _account, _clock);
        _ = await groups.RefreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<IssuerCertificate> all = await ListAsync(cancellationToken).ConfigureAwait(false);
        RevocationEntry[] entries =
        [
            .. all.Where(c => string.Equals(c.Record.HolderId, holderId, StringComparison.Ordinal))
                .Select(c => c.Record.IssuerId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(id => new RevocationEntry(CertKinds.Issuer, id, 0)),
        ];
        if (entries.Length == 0)
        {
            return _account.Trust.Revocations!;
        }
        return await groups.PublishRevocationAsync(entries, signWithRoot: _account.RootKey is not null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Retires every issuer of <paramref name="holderId"/> without locking anybody out (docs/adr/0027): call it once an
    /// administrator is removed from the organisation or from the Owners and Administrators groups (the removal and the group
    /// rotation of the SDK do). It fetches every member and group whose current certificate one of the holder's issuers signed,
    /// verifies each — the chain to the pinned root and the keys against this client's pins, all before anything is signed, so
    /// a substituted key is never laundered through a new certificate — re-certifies the same keys with this account's own
    /// issuer, and then publishes the revocation of the holder's issuers (<see cref="RevokeAsync"/>). The server then refuses
    /// anything newly signed by them, and every client refuses whatever they certified before (docs/adr/0005 rule 4).
    /// </summary>
    /// <remarks>
    /// Idempotent and resumable: the revocation comes last, so an interrupted run leaves the issuers valid and a second run
    /// re-certifies what is left and revokes; a run after a finished one changes nothing. A subject whose certificate no longer
    /// verifies only because its issuer was already revoked (a revocation published without re-certifying first) is
    /// re-certified when its keys are exactly the ones this client pinned before; a keyset the revocation list names is
    /// skipped. Anything else that does not verify stops the run before it signs or revokes anything.
    /// </remarks>
    /// <returns>What was re-certified and which of the holder's issuers the revocation list now names.</returns>
    /// <exception cref="InvalidOperationException">Something needs re-certifying and this account holds no current issuer key, or
    /// it is the holder's own.</exception>
    /// <exception cref="ProvenanceException">A certificate the server served does not verify or contradicts a pin.</exception>
    public async Task<IssuerRetirement> RetireAsync(string holderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        using (GroupClient client = new(_session, _account, _clock))
        {
            _ = await client.RefreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        }
        CertifiedSubjectsResponse served = await _session.SendAsync(HttpMethod.Get, "/api/v1/issuers/certified?holder=" + Uri.EscapeDataString(holderId),
            Json.CertifiedSubjectsResponse, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(served.HolderId, holderId, StringComparison.Ordinal) || served.Members is null || served.Groups is null || served.Issuers is null)
        {
            throw WireMapper.Malformed("the certificates issued by member " + holderId, "it is incomplete or about another holder");
        }

        // Everything is verified before anything is signed: a tampered answer stops the run with nothing changed.
        ServedCertificates certificates = new(_account, served.Issuers);
        List<MemberCertificate> members = [];
        foreach (SubjectCertificateDto dto in served.Members)
        {
            if (VerifiedForRecertification(certificates, dto, holderId) is { } member)
            {
                members.Add(member);
            }
        }
        List<GroupCertificate> groups = [];
        foreach (CertifiedGroupDto dto in served.Groups)
        {
            if (VerifiedForRecertification(certificates, dto, holderId) is { } group)
            {
                groups.Add(group);
            }
        }

        if (members.Count + groups.Count > 0)
        {
            (EcdsaP256PrivateKey issuerKey, string issuerId) = OwnIssuer(holderId);
            foreach (MemberCertificate current in members)
            {
                MemberCertTbs r = current.Record;
                MemberCertificate next = Signing.CertifyMember(issuerKey, _account.Trust.OrgId, issuerId, r.MemberId, r.BaseGroup, r.KeysetId, r.KeysetSerial,
                    current.EncryptionPublicKey, current.SigningPublicKey, IssuedAfter(r.IssuedAt));
                await SendAsync(HttpMethod.Post, "/api/v1/members/" + Uri.EscapeDataString(r.MemberId) + "/recertify", new RecertifyRequest(WireMapper.ToDto(next)),
                    Json.RecertifyRequest, cancellationToken).ConfigureAwait(false);
            }
            foreach (GroupCertificate current in groups)
            {
                GroupCertTbs r = current.Record;
                GroupCertificate next = Signing.CertifyGroup(issuerKey, _account.Trust.OrgId, issuerId, r.GroupId, r.GroupKind, r.KeysetId, r.KeysetSerial,
                    current.EncryptionPublicKey, current.SigningPublicKey, IssuedAfter(r.IssuedAt));
                await SendAsync(HttpMethod.Post, "/api/v1/groups/" + Uri.EscapeDataString(r.GroupId) + "/recertify", new RecertifyRequest(WireMapper.ToDto(next)),
                    Json.RecertifyRequest, cancellationToken).ConfigureAwait(false);
            }
        }

        RevocationList list = await RevokeAsync(holderId, cancellationToken).ConfigureAwait(false);
        HashSet<string> held = new(served.Issuers.Where(i => string.Equals(i?.HolderId, holderId, StringComparison.Ordinal)).Select(i => i.IssuerId),
            StringComparer.Ordinal);
        string[] revoked = [.. list.Record.Entries.Where(e => string.Equals(e.CertKind, CertKinds.Issuer, StringComparison.Ordinal) && held.Contains(e.SubjectId))
            .Select(e => e.SubjectId).Order(StringComparer.Ordinal)];
        return new IssuerRetirement(holderId, revoked, [.. members.Select(m => m.Record.MemberId)], [.. groups.Select(g => g.Record.GroupId)],
            list.Record.ListVersion);
    }

    /// <summary>
    /// Finishes every retirement left undone (<see cref="RetireAsync"/>): each holder of an unrevoked issuer who is no longer in the
    /// Owners or Administrators group, or no longer in the organisation, is retired. A suspended administrator keeps their issuer.
    /// </summary>
    /// <returns>The retirements done, one per holder.</returns>
    public async Task<IReadOnlyList<IssuerRetirement>> RetireFormerAsync(CancellationToken cancellationToken = default)
    {
        using (GroupClient groups = new(_session, _account, _clock))
        {
            _ = await groups.RefreshRevocationListAsync(cancellationToken).ConfigureAwait(false);
        }
        List<IssuerRetirement> done = [];
        foreach (string holderId in (await ListAsync(cancellationToken).ConfigureAwait(false)).Select(c => c.Record.HolderId).Distinct(StringComparer.Ordinal)
                     .Order(StringComparer.Ordinal).ToList())
        {
            if (!string.Equals(holderId, _account.MemberId, StringComparison.Ordinal)
                && !await HoldsAdministrativeGroupAsync(holderId, cancellationToken).ConfigureAwait(false))
            {
                done.Add(await RetireAsync(holderId, cancellationToken).ConfigureAwait(false));
            }
        }
        return done;
    }

    /// <summary>Whether <paramref name="holderId"/> holds an issuer the newest revocation list does not name (as verified by <see cref="ListAsync"/>).</summary>
    public async Task<bool> HoldsIssuerAsync(string holderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(holderId);
        return (await ListAsync(cancellationToken).ConfigureAwait(false)).Any(c => string.Equals(c.Record.HolderId, holderId, StringComparison.Ordinal));
    }

    /// <summary>Whether the directory still shows the member, in any state, in the Owners or Administrators group (removed: 404, false).</summary>
    internal async Task<bool> HoldsAdministrativeGroupAsync(string memberId, CancellationToken cancellationToken)
    {
        try
        {
            MemberDto member = await _session.SendAsync(HttpMethod.Get, "/api/v1/members/" + Uri.EscapeDataString(memberId), Json.MemberDto, cancellationToken)
                .ConfigureAwait(false);
            return string.Equals(member.Id, memberId, StringComparison.Ordinal)
                && member.Groups.Any(g => g.Kind is GroupKinds.Owners or GroupKinds.Administrators);
        }
        catch (CofferApiException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// A served member certificate that may be re-certified: it verifies to the pinned root under one of the holder's issuers and
    /// agrees with the pins; or its only fault is that issuer's revocation and its keys are exactly the pinned ones. Null for a
    /// keyset the revocation list names (nothing to keep alive).
    /// </summary>
    private MemberCertificate? VerifiedForRecertification(ServedCertificates certificates, SubjectCertificateDto? dto, string holderId)
    {
        string memberId = dto?.SubjectId ?? "";
        try
        {
            (MemberCertificate certificate, IssuerCertificate issuer) = certificates.Member(dto, memberId);
            return RequireHeldBy(issuer, holderId, certificate);
        }
        catch (ProvenanceException e) when (e.Failure == ProvenanceFailure.Revoked)
        {
            MemberCertificate certificate = WireMapper.ToMemberCertificate(dto, _account.Trust.OrgId, "the certificate of member " + memberId);
            MemberCertTbs r = certificate.Record;
            return Pinned(e, CertKinds.Member, memberId, r.EncFpr, r.SigFpr, r.KeysetSerial) ? certificate : null;
        }
    }

    /// <summary>A served group certificate that may be re-certified (see the member overload); a pinned older key only through its successions.</summary>
    private GroupCertificate? VerifiedForRecertification(ServedCertificates certificates, CertifiedGroupDto? dto, string holderId)
    {
        string groupId = dto?.Certificate?.SubjectId ?? "";
        try
        {
            GroupCertificate certificate = certificates.Group(dto?.Certificate, groupId, dto?.Successions);
            IssuerCertificate issuer = certificates.IssuerOf(certificate);
            return RequireHeldBy(issuer, holderId, certificate);
        }
        catch (ProvenanceException e) when (e.Failure == ProvenanceFailure.Revoked)
        {
            GroupCertificate certificate = WireMapper.ToGroupCertificate(dto?.Certificate, _account.Trust.OrgId, "the certificate of group " + groupId);
            GroupCertTbs r = certificate.Record;
            return Pinned(e, CertKinds.Group, groupId, r.EncFpr, r.SigFpr, r.KeysetSerial) ? certificate : null;
        }
    }

    /// <summary>The subject's keyset is revoked itself (false: skip it), or its keys are exactly the pinned ones (true); else rethrows.</summary>
    private bool Pinned(ProvenanceException failure, string kind, string subjectId, Fingerprint encryption, Fingerprint signing, long serial)
    {
        if (_account.Trust.Revocations?.Record.Entries.Contains(new RevocationEntry(kind, subjectId, serial)) == true)
        {
            return false;
        }
        PinnedKeys served = new(encryption.ToArray(), signing.ToArray(), checked((int)serial));
        if (_account.Pins.SubjectKeys(subjectId) is null || _account.Pins.CheckSubjectKeys(subjectId, served) != PinCheck.Consistent)
        {
            throw failure;
        }
        return true;
    }

    /// <summary>The server lists what the holder's issuers certified; anything signed by another issuer is not its to list.</summary>
    private static T RequireHeldBy<T>(IssuerCertificate issuer, string holderId, T certificate) =>
        string.Equals(issuer.Record.HolderId, holderId, StringComparison.Ordinal)
            ? certificate
            : throw WireMapper.Malformed("the certificates issued by member " + holderId, "it lists one signed by another administrator's issuer");

    /// <summary>This account's current issuer, which must not be the one being retired.</summary>
    private (EcdsaP256PrivateKey Key, string IssuerId) OwnIssuer(string retiredHolderId)
    {
        if (_account.IssuerKey is not { } key || _account.IssuerCertificate is not { } certificate || _account.IssuerStatus != ProvenanceFailure.None)
        {
            throw new InvalidOperationException("This account holds no current issuer key, which re-certifies what the retiring administrator certified.");
        }
        if (string.Equals(certificate.Record.HolderId, retiredHolderId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("An administrator's issuers are retired by another administrator's client, never with their own.");
        }
        return (key, certificate.Record.IssuerId);
    }

    /// <summary>Now, or just after the certificate being replaced if that carries a later time: the newest certificate is the current one.</summary>
    private long IssuedAfter(long previous) => Math.Max(Now(), previous + 1);

    /// <summary>The requester must be an active member of Owners or Administrators with a member certificate verified to the pinned root.</summary>
    private async Task RequireAdministratorAsync(string holderId, CancellationToken cancellationToken)
    {
        if (!await IsAdministratorAsync(holderId, cancellationToken).ConfigureAwait(false))
        {
            throw new CofferProtocolException("Member " + holderId + " is not an active member of the Owners or Administrators group.");
        }
    }

    private async Task<bool> IsAdministratorAsync(string memberId, CancellationToken cancellationToken)
    {
        string path = "/api/v1/members/" + Uri.EscapeDataString(memberId);
        MemberDto member;
        try
        {
            member = await _session.SendAsync(HttpMethod.Get, path, Json.MemberDto, cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.Status == 404)
        {
            return false; // removed, or never confirmed
        }
        bool administrator = string.Equals(member.Id, memberId, StringComparison.Ordinal) && string.Equals(member.State, "active", StringComparison.Ordinal)
            && member.Groups.Any(g => g.Kind is GroupKinds.Owners or GroupKinds.Administrators);
        if (!administrator)
        {
            return false;
        }
        MemberCertificateResponse found = await _session.SendAsync(HttpMethod.Get, path + "/certificate", Json.MemberCertificateResponse, cancellationToken)
            .ConfigureAwait(false);
        // Throws ProvenanceException unless the certificate chains to the pinned root, is not revoked and agrees with the pins.
        _ = new ServedCertificates(_account, found.Issuers).Member(found.Certificate, memberId);
        return string.Equals(found.State, "active", StringComparison.Ordinal);
    }

    private EcdsaP256PrivateKey Root() =>
        _account.RootKey ?? throw new InvalidOperationException("This account does not hold the organisation's root key: only Owners certify issuers.");

    private Task PostAsync(IssuerCertificate certificate, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/v1/issuers", new CertifyIssuerRequest(WireMapper.ToDto(certificate)), Json.CertifyIssuerRequest, cancellationToken);

    private long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task SendAsync<T>(HttpMethod method, string path, T request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        byte[] answer = await _session.ExchangeAsync(method, path, JsonSerializer.SerializeToUtf8Bytes(request, type), cancellationToken).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(answer);
    }
}
