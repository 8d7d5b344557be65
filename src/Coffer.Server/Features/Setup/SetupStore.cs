using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Common;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Setup;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Dapper;

namespace Coffer.Server.Features.Setup;

internal enum SetupOutcome
{
    Created,
    AlreadySetUp,
    BadToken,
}

/// <summary>The organisation's first moments: the one-time setup token, and the setup itself in one transaction.</summary>
internal sealed class SetupStore(IDatabase database, AuditStore audit, AccountFeed feed)
{
    public async Task<bool> IsSetUpAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM organisations", cancellationToken: ct)) > 0;
    }

    /// <summary>Replaces any unused setup token with a new one; the token itself is returned once and stored only hashed.</summary>
    public Task<byte[]?> IssueTokenAsync(long now, CancellationToken ct) =>
        database.InTransactionAsync<byte[]?>(async (c, tx) =>
        {
            if (await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM organisations", transaction: tx, cancellationToken: ct)) > 0)
            {
                return null;
            }
            byte[] token = RandomNumberGenerator.GetBytes(32);
            await c.ExecuteAsync(new CommandDefinition("DELETE FROM setup_tokens WHERE used_at IS NULL", transaction: tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition("INSERT INTO setup_tokens (token_hash, created_at, used_at) VALUES (@h, @now, NULL)",
                new { h = SHA256.HashData(token), now }, tx, cancellationToken: ct));
            return token;
        }, ct);

    /// <summary>Creates the organisation and its first Owner; the <c>org.create</c> event commits with it.</summary>
    public Task<SetupOutcome> CreateAsync(SetupRequest r, long now, string? ip, CancellationToken ct) =>
        feed.InTransactionAsync(async (c, tx, changed) =>
        {
            if (await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM organisations", transaction: tx, cancellationToken: ct)) > 0)
            {
                return SetupOutcome.AlreadySetUp;
            }
            byte[] presented = SHA256.HashData(Base64Url.Decode(r.Token));
            IEnumerable<byte[]> hashes = await c.QueryAsync<byte[]>(new CommandDefinition(
                "SELECT token_hash FROM setup_tokens WHERE used_at IS NULL", transaction: tx, cancellationToken: ct));
            byte[]? match = hashes.FirstOrDefault(h => CryptographicOperations.FixedTimeEquals(h, presented));
            if (match is null)
            {
                return SetupOutcome.BadToken;
            }
            await c.ExecuteAsync(new CommandDefinition("UPDATE setup_tokens SET used_at = @now WHERE token_hash = @match",
                new { now, match }, tx, cancellationToken: ct));

            OrganisationRootDto root = r.Organisation.Root;
            SetupOwnerDto owner = r.Owner;
            await c.ExecAsync(tx, """
                INSERT INTO organisations (id, name, account_id, root_public_key, root_fingerprint, root_signature, sealed_root_private_key, created_at)
                VALUES (@id, @name, @accountId, @publicKey, @fingerprint, @signature, @sealedRoot, @createdAt)
                """, new
            {
                id = root.OrgId,
                name = r.Organisation.Name,
                accountId = root.AccountId,
                publicKey = Base64Url.Decode(root.PublicKey),
                fingerprint = Fingerprint.FromSpki(Base64Url.Decode(root.PublicKey)).ToArray(),
                signature = Base64Url.Decode(root.Signature),
                sealedRoot = EnvelopeJson(r.Organisation.SealedRootKey),
                createdAt = root.CreatedAt,
            }, ct);
            RevocationListDto crl = r.Organisation.RevocationList;
            await c.ExecAsync(tx, """
                INSERT INTO revocation_lists (version, issued_at, issuer_id, entries, signature, created_at)
                VALUES (@version, @issuedAt, NULL, '[]', @signature, @now)
                """, new { version = crl.Version, issuedAt = crl.IssuedAt, signature = Base64Url.Decode(crl.Signature), now }, ct);
            await c.ExecAsync(tx, """
                INSERT INTO members (id, organisation_id, email, email_normalized, name, state, unlock_method, kdf_alg, kdf_salt, kdf_iterations, srp_verifier, created_at, updated_at)
                VALUES (@id, @org, @email, @normalized, @name, 'active', 'password', @alg, @salt, @iterations, @verifier, @now, @now)
                """, new
            {
                id = owner.MemberId,
                org = root.OrgId,
                email = owner.Email,
                normalized = Emails.Normalize(owner.Email),
                name = owner.Name,
                alg = owner.Kdf.Alg,
                salt = Base64Url.Decode(owner.Kdf.Salt),
                iterations = (long)owner.Kdf.Iterations,
                verifier = Base64Url.Decode(owner.Verifier),
                now,
            }, ct);
            await InsertKeysetAsync(c, tx, owner.Keyset, memberId: owner.MemberId, groupId: null, now, ct);
            IssuerCertificateDto issuer = owner.Issuer;
            await c.ExecAsync(tx, """
                INSERT INTO certificates (id, kind, subject_id, role, holder_id, public_key, sealed_private_key, expires_at, signing_fingerprint, issued_at, signature, created_at)
                VALUES (@id, 'issuer', @issuerId, @role, @holder, @publicKey, @sealed, @expiresAt, @fingerprint, @issuedAt, @signature, @now)
                """, new
            {
                id = Ids.New(),
                issuerId = issuer.IssuerId,
                role = issuer.Role,
                holder = issuer.HolderId,
                publicKey = Base64Url.Decode(issuer.PublicKey),
                @sealed = EnvelopeJson(owner.SealedIssuerKey),
                expiresAt = issuer.ExpiresAt,
                fingerprint = Fingerprint.FromSpki(Base64Url.Decode(issuer.PublicKey)).ToArray(),
                issuedAt = issuer.IssuedAt,
                signature = Base64Url.Decode(issuer.Signature),
                now,
            }, ct);
            await InsertSubjectCertificateAsync(c, tx, owner.Certificate, now, ct);
            foreach (GroupKeysDto g in r.Groups)
            {
                await c.ExecAsync(tx, "INSERT INTO groups (id, organisation_id, kind, name, created_at) VALUES (@id, @org, @kind, @name, @now)",
                    new { id = g.GroupId, org = root.OrgId, kind = g.Kind, name = g.Name, now }, ct);
                await InsertKeysetAsync(c, tx, g.Keyset, memberId: null, groupId: g.GroupId, now, ct);
                await InsertSubjectCertificateAsync(c, tx, g.Certificate, now, ct);
            }
            foreach (SignedWrapDto w in r.Wraps)
            {
                object row = new
                {
                    group = w.ObjectId,
                    serial = w.KeySerial,
                    recipient = w.RecipientId,
                    recipientSerial = w.RecipientKeysetSerial,
                    wrap = Base64Url.Decode(w.Wrap),
                    signer = w.SignerId,
                    signature = Base64Url.Decode(w.Signature),
                    now,
                };
                await c.ExecAsync(tx, w.RecipientKind == "member"
                    ? """
                      INSERT INTO group_memberships (group_id, member_id, key_serial, member_keyset_serial, wrapped_key, signer_id, signature, created_at)
                      VALUES (@group, @recipient, @serial, @recipientSerial, @wrap, @signer, @signature, @now)
                      """
                    : """
                      INSERT INTO group_manager_wraps (group_id, key_serial, manager_group_id, manager_key_serial, wrapped_key, signer_id, signature, created_at)
                      VALUES (@group, @serial, @recipient, @recipientSerial, @wrap, @signer, @signature, @now)
                      """, row, ct);
            }
            // The first entries of the feed: what everyone will verify, and the Owner's groups.
            changed.ToEveryone(AccountChangeKinds.RevocationList, root.OrgId, crl.Version);
            changed.ToEveryone(AccountChangeKinds.IssuerCertificate, issuer.IssuerId, issuer.IssuedAt);
            changed.ToEveryone(AccountChangeKinds.MemberCertificate, owner.MemberId, owner.Certificate.KeysetSerial);
            foreach (GroupKeysDto g in r.Groups)
            {
                changed.ToEveryone(AccountChangeKinds.GroupCertificate, g.GroupId, g.Certificate.KeysetSerial);
            }
            foreach (SignedWrapDto w in r.Wraps.Where(w => w.RecipientKind == "member"))
            {
                changed.To(w.RecipientId, AccountChangeKinds.GroupJoined, w.ObjectId, w.KeySerial);
            }
            List<AuditEntry> events = [new AuditEntry(now, owner.MemberId, null, null, ip, AuditActions.OrgCreate,
                AuditTargets.Organisation, root.OrgId, AuditOutcomes.Success)];
            if (r.Organisation.AuditKeyCertificate is { } auditCert)
            {
                // The endpoint checked it names this server's audit key; the validator, that the new root signed it.
                byte[] auditKey = Base64Url.Decode(auditCert.PublicKey);
                Fingerprint auditFpr = Fingerprint.FromSpki(auditKey);
                await AuditKeyCertificateStore.InsertAsync(c, tx, auditFpr, auditKey, auditCert.IssuedAt, Base64Url.Decode(auditCert.Signature),
                    owner.MemberId, now, ct);
                events.Add(new AuditEntry(now, owner.MemberId, null, null, ip, AuditActions.AuditKeyCertify, AuditTargets.AuditKey, null,
                    AuditOutcomes.Success, AuditKeyCertificateStore.Details(auditFpr, auditCert.IssuedAt)));
            }
            await audit.AppendAsync(c, tx, events, ct);
            return SetupOutcome.Created;
        }, ct);

    internal static string EnvelopeJson(EnvelopeDto envelope) => JsonSerializer.Serialize(envelope, CofferJsonContext.Default.EnvelopeDto);

    internal static Task<int> InsertKeysetAsync(DbConnection c, DbTransaction tx, KeysetDto k, string? memberId, string? groupId, long now, CancellationToken ct) =>
        c.ExecAsync(tx, """
            INSERT INTO keysets (id, serial, member_id, group_id, sealed_symmetric_key, sealed_encryption_private_key, sealed_signing_private_key,
                                 encryption_public_key, signing_public_key, created_at)
            VALUES (@id, @serial, @memberId, @groupId, @sym, @rsa, @sig, @enc, @sign, @now)
            """, new
        {
            id = k.KeysetId,
            serial = (long)k.Serial,
            memberId,
            groupId,
            sym = k.SealedSymmetricKey is null ? null : EnvelopeJson(k.SealedSymmetricKey),
            rsa = EnvelopeJson(k.SealedEncryptionPrivateKey),
            sig = EnvelopeJson(k.SealedSigningPrivateKey),
            enc = Base64Url.Decode(k.EncryptionPublicKey),
            sign = Base64Url.Decode(k.SigningPublicKey),
            now,
        }, ct);

    internal static Task<int> InsertSubjectCertificateAsync(DbConnection c, DbTransaction tx, SubjectCertificateDto cert, long now, CancellationToken ct) =>
        c.ExecAsync(tx, """
            INSERT INTO certificates (id, kind, subject_id, base_group, group_kind, encryption_fingerprint, signing_fingerprint, keyset_id, keyset_serial,
                                      issuer_id, issued_at, signature, created_at)
            VALUES (@id, @kind, @subject, @baseGroup, @groupKind, @enc, @sig, @keysetId, @keysetSerial, @issuer, @issuedAt, @signature, @now)
            """, new
        {
            id = Ids.New(),
            kind = cert.Kind,
            subject = cert.SubjectId,
            baseGroup = cert.Kind == "member" ? cert.Role : null,
            groupKind = cert.Kind == "group" ? cert.Role : null,
            enc = Fingerprint.FromSpki(Base64Url.Decode(cert.EncryptionPublicKey)).ToArray(),
            sig = Fingerprint.FromSpki(Base64Url.Decode(cert.SigningPublicKey)).ToArray(),
            keysetId = cert.KeysetId,
            keysetSerial = cert.KeysetSerial,
            issuer = cert.IssuerId,
            issuedAt = cert.IssuedAt,
            signature = Base64Url.Decode(cert.Signature),
            now,
        }, ct);
}
