using System.Data.Common;
using System.Security.Cryptography;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Features.Members;

internal enum InviteOutcome
{
    Invited,
    EmailTaken,
}

/// <summary>An invitation as made: the token is returned once, for the mail, and stored only hashed.</summary>
internal sealed record NewInvitation(string MemberId, string InvitationId, byte[] Token, byte[] OrgFingerprint, long ExpiresAt);

/// <summary>Invitations (PROTOCOL.md §8): the member row exists from the invitation on, in state <c>invited</c>.</summary>
internal sealed class InvitationStore(IDatabase database, AuditStore audit)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    /// <summary>Until the permission matrix (slice g) brings <c>manage_members</c>: members of the Owners or Administrators group.</summary>
    public async Task<bool> MayManageMembersAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ScalarAsync<long>(null, """
            SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
            WHERE gm.member_id = @memberId AND g.kind IN ('owners', 'administrators')
            """, new { memberId }, ct) > 0;
    }

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

    private sealed class OrgRow
    {
        public string Id { get; set; } = "";
        public byte[] Fingerprint { get; set; } = [];
    }
}
