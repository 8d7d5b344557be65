using System.Data.Common;
using System.Security.Cryptography;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;
using Coffer.Server.Features.Vaults;

namespace Coffer.Server.Features.Members;

internal enum InviteOutcome
{
    Invited,
    EmailTaken,
}

internal enum AcceptOutcome
{
    Accepted,
    BadToken,
    GuestPersonalVault,
    PersonalVaultMissing,
    PersonalVaultInvalid,
}

/// <summary>An invitation as made: the token is returned once, for the mail, and stored only hashed.</summary>
internal sealed record NewInvitation(string MemberId, string InvitationId, byte[] Token, byte[] OrgFingerprint, long ExpiresAt);

/// <summary>Invitations (PROTOCOL.md §8): the member row exists from the invitation on, in state <c>invited</c>.</summary>
internal sealed class InvitationStore(IDatabase database, AuditStore audit, AccountFeed feed)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public Task<(InviteOutcome Outcome, NewInvitation? Invitation)> InviteAsync(CofferCaller caller, string email, string name, string baseGroup, long now,
        CancellationToken ct) =>
        database.InTransactionAsync<(InviteOutcome, NewInvitation?)>(async (c, tx) =>
        {
            string normalized = Emails.Normalize(email);
            if (await c.ScalarAsync<long>(tx, "SELECT count(*) FROM members WHERE email_normalized = @normalized", new { normalized }, ct) > 0)
            {
                return (InviteOutcome.EmailTaken, null);
            }
            OrgRow org = (await c.OneAsync<OrgRow>(tx, "SELECT id AS Id, root_fingerprint AS Fingerprint FROM organisations", null, ct))!;
            string memberId = Ids.New();
            string invitationId = Ids.New();
            byte[] token = RandomNumberGenerator.GetBytes(32);
            long expiresAt = now + (long)Lifetime.TotalMilliseconds;
            await c.ExecAsync(tx, """
                INSERT INTO members (id, organisation_id, email, email_normalized, name, state, unlock_method, created_at, updated_at)
                VALUES (@memberId, @org, @email, @normalized, @name, 'invited', 'password', @now, @now)
                """, new { memberId, org = org.Id, email, normalized, name, now }, ct);
            await c.ExecAsync(tx, """
                INSERT INTO invitations (id, member_id, token_hash, base_group, invited_by, created_at, expires_at, accepted_at)
                VALUES (@invitationId, @memberId, @hash, @baseGroup, @invitedBy, @now, @expiresAt, NULL)
                """, new { invitationId, memberId, hash = SHA256.HashData(token), baseGroup, invitedBy = caller.MemberId, now, expiresAt }, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.MemberInvite, AuditTargets.Member, memberId,
                details: AuditEntry.DetailsOf(("baseGroup", baseGroup), ("invitation", invitationId)))], ct);
            return (InviteOutcome.Invited, new NewInvitation(memberId, invitationId, token, org.Fingerprint, expiresAt));
        }, ct);

    /// <summary>
    /// The open invitation a token names, or null when the token is unknown, used or expired; with the policy's shortest password,
    /// which the invitee cannot read otherwise before they have an account.
    /// </summary>
    public async Task<InvitationLookupResponse?> LookupAsync(byte[] token, int minPasswordLength, long now, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await OpenInvitationAsync(c, null, token, now, ct) is { } row ? row.ToDto(minPasswordLength) : null;
    }

    /// <summary>
    /// Stores the invitee's verifier and keyset and (unless a guest) their personal vault, makes the member
    /// <c>pending_confirmation</c> and uses the token up, in one transaction with the events. The personal vault's self-grant
    /// is signed by the new keyset's own signing key, which no certificate names yet (docs/adr/0011). Nothing is written
    /// unless the outcome is <see cref="AcceptOutcome.Accepted"/>.
    /// </summary>
    public Task<(AcceptOutcome Outcome, string? MemberId)> AcceptAsync(InvitationAcceptRequest r, byte[] token, long now, string? ip, CancellationToken ct) =>
        feed.InTransactionAsync<(AcceptOutcome, string?)>(async (c, tx, changed) =>
        {
            OpenRow? row = await OpenInvitationAsync(c, tx, token, now, ct);
            if (row is null)
            {
                return (AcceptOutcome.BadToken, null);
            }
            CreateVaultRequest? vault = r.PersonalVault;
            if (row.BaseGroup == GroupKinds.Guests ? vault is not null : vault is null)
            {
                return (vault is null ? AcceptOutcome.PersonalVaultMissing : AcceptOutcome.GuestPersonalVault, null);
            }
            if (vault is not null)
            {
                CertifiedKeys own = new()
                {
                    KeysetSerial = r.Keyset.Serial,
                    EncryptionPublicKey = Base64Url.Decode(r.Keyset.EncryptionPublicKey),
                    SigningPublicKey = Base64Url.Decode(r.Keyset.SigningPublicKey),
                };
                if (!GrantChecks.IsValid(vault.Grant, vault.Id, 1, CertKinds.Member, row.MemberId, own, row.MemberId, own.SigningPublicKey)
                    || await c.ScalarAsync<long>(tx, "SELECT count(*) FROM vaults WHERE id = @Id", new { vault.Id }, ct) > 0)
                {
                    return (AcceptOutcome.PersonalVaultInvalid, null);
                }
            }
            int used = await c.ExecAsync(tx, "UPDATE invitations SET accepted_at = @now WHERE id = @id AND accepted_at IS NULL",
                new { now, id = row.InvitationId }, ct);
            if (used != 1)
            {
                return (AcceptOutcome.BadToken, null);
            }
            await c.ExecAsync(tx, """
                UPDATE members SET state = 'pending_confirmation', kdf_alg = @alg, kdf_salt = @salt, kdf_iterations = @iterations,
                                   srp_verifier = @verifier, updated_at = @now
                WHERE id = @id AND state = 'invited'
                """, new
            {
                alg = r.Kdf.Alg,
                salt = Base64Url.Decode(r.Kdf.Salt),
                iterations = (long)r.Kdf.Iterations,
                verifier = Base64Url.Decode(r.Verifier),
                now,
                id = row.MemberId,
            }, ct);
            await SetupStore.InsertKeysetAsync(c, tx, r.Keyset, memberId: row.MemberId, groupId: null, now, ct);
            List<AuditEntry> events = [new AuditEntry(now, row.MemberId, null, null, ip, AuditActions.InvitationAccept, AuditTargets.Member,
                row.MemberId, AuditOutcomes.Success, AuditEntry.DetailsOf(("invitation", row.InvitationId)))];
            if (vault is not null)
            {
                // Its member reads of it on the feed once confirmed.
                await VaultStore.InsertVaultAsync(c, tx, vault, row.MemberId, now, changed, ct);
                events.Add(new AuditEntry(now, row.MemberId, null, null, ip, AuditActions.VaultCreate, AuditTargets.Vault, vault.Id, AuditOutcomes.Success,
                    AuditEntry.DetailsOf(("kind", VaultKinds.Personal))));
            }
            await audit.AppendAsync(c, tx, events, ct);
            return (AcceptOutcome.Accepted, row.MemberId);
        }, ct);

    private static Task<OpenRow?> OpenInvitationAsync(DbConnection c, DbTransaction? tx, byte[] token, long now, CancellationToken ct) =>
        // Looked up by hash: the database never sees the token, and a 32-byte random token leaves nothing to learn from index timing.
        c.OneAsync<OpenRow>(tx, """
            SELECT i.id AS InvitationId, i.base_group AS BaseGroup, i.expires_at AS ExpiresAt, m.id AS MemberId, m.email AS Email, m.name AS Name,
                   o.id AS OrgId, o.name AS OrganisationName, o.account_id AS AccountId, o.root_public_key AS PublicKey, o.created_at AS CreatedAt, o.root_signature AS Signature
            FROM invitations i JOIN members m ON m.id = i.member_id JOIN organisations o ON o.id = m.organisation_id
            WHERE i.token_hash = @hash AND i.accepted_at IS NULL AND i.expires_at > @now AND m.state = 'invited' AND m.removed_at IS NULL
            """, new { hash = SHA256.HashData(token), now }, ct);

    private sealed class OpenRow
    {
        public string InvitationId { get; set; } = "";
        public string BaseGroup { get; set; } = "";
        public long ExpiresAt { get; set; }
        public string MemberId { get; set; } = "";
        public string Email { get; set; } = "";
        public string Name { get; set; } = "";
        public string OrgId { get; set; } = "";
        public string OrganisationName { get; set; } = "";
        public string AccountId { get; set; } = "";
        public byte[] PublicKey { get; set; } = [];
        public long CreatedAt { get; set; }
        public byte[] Signature { get; set; } = [];

        public InvitationLookupResponse ToDto(int minPasswordLength) => new(MemberId, Email, Name, OrgId, OrganisationName, AccountId, BaseGroup,
            ExpiresAt, new OrganisationRootDto(OrgId, AccountId, Base64Url.Encode(PublicKey), CreatedAt, Base64Url.Encode(Signature)), minPasswordLength);
    }

    private sealed class OrgRow
    {
        public string Id { get; set; } = "";
        public byte[] Fingerprint { get; set; } = [];
    }
}
