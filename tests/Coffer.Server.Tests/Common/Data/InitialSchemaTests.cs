using System.Data.Common;
using Coffer.Server.Common.Data;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Coffer.Server.Tests.Common.Data;

/// <summary>
/// migrations/*/0001_initial.sql: the same schema on both engines, accepting the rows slices (b) and (c) will
/// write and refusing the ones that would break an invariant.
/// </summary>
public class InitialSchemaTests
{
    private static readonly byte[] B16 = new byte[16];
    private static readonly byte[] B32 = new byte[32];
    private static readonly byte[] B64 = new byte[64];
    private static readonly byte[] B512 = Enumerable.Repeat((byte)7, 512).ToArray();

    [Theory, BothEngines]
    public async Task EveryTable_AcceptsValidRows_AndTheyReadBackWithTheirTypes(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine);
        Seed seed = await Seed.InsertAsync(db.Database);

        await using DbConnection connection = await db.Database.OpenAsync(CancellationToken.None);
        foreach (string table in (string[])["organisations", "root_rotations", "setup_tokens", "server_keys", "members", "groups", "keysets", "pins",
                     "certificates", "revocation_lists", "group_memberships", "group_manager_wraps", "invitations", "devices", "sessions", "session_writes",
                     "auth_attempts", "auth_failures"])
        {
            Assert.True(await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}") > 0, table);
        }
        MemberRow member = await connection.QuerySingleAsync<MemberRow>(
            "SELECT id AS Id, kdf_iterations AS KdfIterations, kdf_salt AS KdfSalt, srp_verifier AS SrpVerifier, created_at AS CreatedAt FROM members WHERE id = @id",
            new { id = seed.Member });
        Assert.Equal(seed.Member, member.Id);
        Assert.Equal(650_000, member.KdfIterations);
        Assert.Equal(B16, member.KdfSalt);
        Assert.Equal(B512, member.SrpVerifier);
        Assert.Equal(1_700_000_000_000, member.CreatedAt);
        Assert.Equal([1L, 2L], await connection.QueryAsync<long>("SELECT id FROM auth_failures ORDER BY id"));
    }

    [Theory, BothEngines]
    public async Task Invariants_RowThatWouldBreakOne_IsRefused(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine);
        Seed seed = await Seed.InsertAsync(db.Database);
        object p = seed.Parameters();

        (string Invariant, string Sql)[] cases =
        [
            ("an active member has a verifier",
                "INSERT INTO members (id, organisation_id, email, email_normalized, name, state, created_at, updated_at) VALUES (@fresh, @org, 'x@example.com', 'x@example.com', 'X', 'active', 1, 1)"),
            ("emails are unique once normalised",
                "INSERT INTO members (id, organisation_id, email, email_normalized, name, state, created_at, updated_at) VALUES (@fresh, @org, 'ANN@example.com', 'ann@example.com', 'X', 'invited', 1, 1)"),
            ("a member's state is one of five",
                "UPDATE members SET state = 'deleted' WHERE id = @member"),
            ("the account id uses the Secret Key alphabet",
                "UPDATE organisations SET account_id = 'a2b3c4'"),
            ("a keyset has exactly one owner",
                "INSERT INTO keysets (id, serial, member_id, group_id, sealed_symmetric_key, sealed_encryption_private_key, sealed_signing_private_key, encryption_public_key, signing_public_key, created_at) VALUES (@fresh, 1, @member2, @custom, '{}', '{}', '{}', @b32, @b32, 1)"),
            ("a group keyset's key is wrapped to members, not sealed",
                "INSERT INTO keysets (id, serial, member_id, group_id, sealed_symmetric_key, sealed_encryption_private_key, sealed_signing_private_key, encryption_public_key, signing_public_key, created_at) VALUES (@fresh, 1, NULL, @custom, '{}', '{}', '{}', @b32, @b32, 1)"),
            ("one keyset per owner and serial",
                "INSERT INTO keysets (id, serial, member_id, group_id, sealed_symmetric_key, sealed_encryption_private_key, sealed_signing_private_key, encryption_public_key, signing_public_key, created_at) VALUES (@fresh, 1, @member, NULL, '{}', '{}', '{}', @b32, @b32, 1)"),
            ("each built-in group exists once",
                "INSERT INTO groups (id, organisation_id, kind, name, created_at) VALUES (@fresh, @org, 'team_members', 'Team Members 2', 1)"),
            ("a membership wraps an existing group key serial",
                "UPDATE group_memberships SET key_serial = 2"),
            ("a managing group's wrap names an existing key of the managing group",
                "UPDATE group_manager_wraps SET manager_key_serial = 2"),
            ("a group does not manage itself",
                "UPDATE group_manager_wraps SET manager_group_id = group_id"),
            ("a member certificate names its keyset",
                "INSERT INTO certificates (id, kind, subject_id, base_group, encryption_fingerprint, signing_fingerprint, issuer_id, issued_at, signature, created_at) VALUES (@fresh, 'member', @member, 'team_members', @b32, @b32, @issuer, 1, @b64, 1)"),
            ("an issuer certificate has no keyset",
                "UPDATE certificates SET keyset_id = @memberKeyset, keyset_serial = 1 WHERE kind = 'issuer'"),
            ("a signature is 64 bytes",
                "UPDATE certificates SET signature = @b32"),
            ("a session's MFA level is one of three",
                "UPDATE sessions SET mfa_level = 'maybe'"),
            ("a write's sequence number is used once per session",
                "INSERT INTO session_writes (session_id, seq, created_at) VALUES (@session, 1, 1)"),
            ("SRP's A and b arrive together",
                "UPDATE auth_attempts SET srp_b = NULL WHERE srp_a IS NOT NULL"),
            ("A is 512 bytes",
                "UPDATE auth_attempts SET srp_a = @b32 WHERE srp_a IS NOT NULL"),
            ("a throttling key is an account, a device or an IP",
                "INSERT INTO auth_failures (key_kind, key_value, failed_at) VALUES ('country', 'x', 1)"),
            ("a device belongs to a member",
                "INSERT INTO devices (id, member_id, name, platform, client_version, created_at, last_seen_at) VALUES (@fresh, @fresh2, 'laptop', 'linux-cli', '0.1.0', 1, 1)"),
        ];
        foreach ((string invariant, string sql) in cases)
        {
            Exception? refused = await Record.ExceptionAsync(() => DatabaseTests.ExecuteAsync(db.Database, sql, p));
            Assert.True(IsConstraintViolation(refused), $"{invariant}: {refused?.Message ?? "accepted"}");
        }
        // The same tables still take a custom group beside the built-in ones.
        await DatabaseTests.ExecuteAsync(db.Database, "INSERT INTO groups (id, organisation_id, kind, name, created_at) VALUES (@fresh, @org, 'custom', 'Finance', 1)", p);
    }

    [Theory, BothEngines]
    public async Task ForeignKeys_RowReferencingNothing_IsRefused(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine);
        await AssertRefusedAsync(() => DatabaseTests.ExecuteAsync(db.Database,
            "INSERT INTO devices (id, member_id, name, platform, client_version, created_at, last_seen_at) " +
            "VALUES ('01890a5d-ac96-774b-bcce-b302099a8057', '01890a5d-ac96-774b-bcce-b302099a8058', 'laptop', 'linux-cli', '0.1.0', 1, 1)"));
    }

    [Theory, BothEngines]
    public async Task Schema_IdNotALowercaseUuidV7_IsRefused(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine);
        const string insert = "INSERT INTO revocation_lists (version, issued_at, issuer_id, entries, signature, created_at) VALUES (@version, 1, @id, '[]', @signature, 1)";
        byte[] signature = new byte[64];

        await DatabaseTests.ExecuteAsync(db.Database, insert, new { version = 1L, id = "01890a5d-ac96-774b-bcce-b302099a8057", signature });
        foreach (string bad in (string[])[
            "01890A5D-AC96-774B-BCCE-B302099A8057",   // upper case
            "01890a5d-ac96-474b-bcce-b302099a8057",   // version 4
            "01890a5d-ac96-774b-7cce-b302099a8057",   // wrong variant
            "01890a5dac96774bbcceb302099a8057",       // no hyphens
            "01890a5d-ac96-774b-bcce-b302099a805-",   // hyphen in place of a digit
            "01890a5d-ac96-774b-bcce-b302099a805g",   // not hex
            ""])
        {
            await AssertRefusedAsync(() => DatabaseTests.ExecuteAsync(db.Database, insert, new { version = 2L, id = bad, signature }));
        }
    }

    [Theory, BothEngines]
    public async Task Schema_SecondOrganisation_IsRefused(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine);
        const string insert =
            "INSERT INTO organisations (id, name, account_id, root_public_key, root_fingerprint, root_signature, sealed_root_private_key, created_at) " +
            "VALUES (@id, 'Acme', @accountId, @key, @fingerprint, @signature, '{}', 1)";
        object Organisation(string id, string accountId) =>
            new { id, accountId, key = new byte[91], fingerprint = new byte[32], signature = new byte[64] };

        await DatabaseTests.ExecuteAsync(db.Database, insert, Organisation("01890a5d-ac96-774b-bcce-b302099a8057", "A2B3C4"));
        await AssertRefusedAsync(
            () => DatabaseTests.ExecuteAsync(db.Database, insert, Organisation("01890a5d-ac96-774b-bcce-b302099a8058", "Z2B3C4")));
    }

    [Fact]
    public async Task Schema_BothEngines_HaveTheSameTablesColumnsTypesAndNullability()
    {
        await using TestDatabase sqlite = await TestDatabase.CreateAsync(Engine.Sqlite);
        await using TestDatabase postgres = await TestDatabase.CreateAsync(Engine.Postgres);

        List<string> sqliteColumns = await SchemaAsync(sqlite.Database,
            """
            SELECT m.name AS TableName, p.name AS ColumnName, p.type AS Type, p."notnull" = 0 AS Nullable
            FROM sqlite_master m JOIN pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
            """);
        List<string> postgresColumns = await SchemaAsync(postgres.Database,
            """
            SELECT table_name AS TableName, column_name AS ColumnName, data_type AS Type, is_nullable = 'YES' AS Nullable
            FROM information_schema.columns WHERE table_schema = current_schema()
            """);

        Assert.Contains("members.email_normalized text not null", sqliteColumns);
        Assert.Contains("schema_migrations.checksum text not null", sqliteColumns);
        Assert.Equal(sqliteColumns, postgresColumns);
    }

    private static async Task<List<string>> SchemaAsync(IDatabase database, string sql)
    {
        await using DbConnection connection = await database.OpenAsync(CancellationToken.None);
        IEnumerable<SchemaColumn> columns = await connection.QueryAsync<SchemaColumn>(sql);
        return [.. columns.Select(c => $"{c.TableName}.{c.ColumnName} {TypeClass(c.Type)} {(c.Nullable ? "null" : "not null")}").Order(StringComparer.Ordinal)];
    }

    // The storage classes both engines share; anything else is reported as it is, and differs.
    private static string TypeClass(string type) => type switch
    {
        "INTEGER" or "bigint" => "integer",
        "TEXT" or "text" => "text",
        "BLOB" or "bytea" => "bytes",
        _ => type,
    };

    private static async Task AssertRefusedAsync(Func<Task> write)
    {
        Exception? e = await Record.ExceptionAsync(write);
        Assert.True(IsConstraintViolation(e), e?.Message ?? "accepted");
    }

    /// <summary>A constraint said no (not a typo in the test's SQL): SQLITE_CONSTRAINT, or SQLSTATE class 23.</summary>
    private static bool IsConstraintViolation(Exception? e) => e switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == 19,
        PostgresException postgres => postgres.SqlState.StartsWith("23", StringComparison.Ordinal),
        _ => false,
    };

    private sealed class MemberRow
    {
        public string Id { get; set; } = "";

        public long KdfIterations { get; set; }

        public byte[] KdfSalt { get; set; } = [];

        public byte[] SrpVerifier { get; set; } = [];

        public long CreatedAt { get; set; }
    }

    private sealed class SchemaColumn
    {
        public string TableName { get; set; } = "";

        public string ColumnName { get; set; } = "";

        public string Type { get; set; } = "";

        public bool Nullable { get; set; }
    }

    /// <summary>One valid row or more in every table, in an order the foreign keys allow.</summary>
    private sealed record Seed(string Org, string Member, string Member2, string Team, string Custom, string MemberKeyset, string Issuer, string Session)
    {
        public static async Task<Seed> InsertAsync(IDatabase database)
        {
            Seed s = new(Id(), Id(), Id(), Id(), Id(), Id(), Id(), Id());
            string groupKeyset = Id(), device = Id(), invited = Id();
            const long t = 1_700_000_000_000;
            await database.InTransactionAsync(async (c, tx) =>
            {
                async Task Run(string sql, object? args = null) => await c.ExecuteAsync(sql, args, tx);

                await Run("INSERT INTO organisations (id, name, account_id, root_public_key, root_fingerprint, root_signature, sealed_root_private_key, created_at) VALUES (@Org, 'Acme', 'A2B3C4', @b91, @b32, @b64, '{}', @t)",
                    new { s.Org, b91 = new byte[91], b32 = B32, b64 = B64, t });
                await Run("INSERT INTO root_rotations (new_root_fingerprint, old_root_fingerprint, new_root_public_key, issued_at, signature, created_at) VALUES (@n, @o, @k, @t, @b64, @t)",
                    new { n = Enumerable.Repeat((byte)1, 32).ToArray(), o = B32, k = new byte[91], b64 = B64, t });
                await Run("INSERT INTO setup_tokens (token_hash, created_at, used_at) VALUES (@b32, @t, NULL)", new { b32 = B32, t });
                await Run("INSERT INTO server_keys (name, value, created_at) VALUES ('unknown-email-hmac', @b32, @t)", new { b32 = B32, t });
                await Run("INSERT INTO members (id, organisation_id, email, email_normalized, name, state, unlock_method, kdf_alg, kdf_salt, kdf_iterations, srp_verifier, created_at, updated_at) " +
                          "VALUES (@Member, @Org, 'Ann@Example.com', 'ann@example.com', 'Ann', 'active', 'password', 'coffer/2skd/v1', @b16, 650000, @b512, @t, @t)",
                    new { s.Member, s.Org, b16 = B16, b512 = B512, t });
                await Run("INSERT INTO members (id, organisation_id, email, email_normalized, name, state, created_at, updated_at) VALUES (@Member2, @Org, 'bob@example.com', 'bob@example.com', '', 'invited', @t, @t)",
                    new { s.Member2, s.Org, t });
                await Run("INSERT INTO groups (id, organisation_id, kind, name, created_at) VALUES (@Team, @Org, 'team_members', 'Team Members', @t), (@Custom, @Org, 'custom', 'Developers', @t)",
                    new { s.Team, s.Custom, s.Org, t });
                await Run("INSERT INTO keysets (id, serial, member_id, group_id, sealed_symmetric_key, sealed_encryption_private_key, sealed_signing_private_key, encryption_public_key, signing_public_key, created_at) " +
                          "VALUES (@MemberKeyset, 1, @Member, NULL, '{}', '{}', '{}', @k, @k, @t), (@groupKeyset, 1, NULL, @Team, NULL, '{}', '{}', @k, @k, @t)",
                    new { s.MemberKeyset, s.Member, groupKeyset, s.Team, k = new byte[294], t });
                await Run("INSERT INTO pins (member_id, keyset_id, keyset_serial, version, sealed_pins, updated_at) VALUES (@Member, @MemberKeyset, 1, 1, '{}', @t)",
                    new { s.Member, s.MemberKeyset, t });
                await Run("INSERT INTO certificates (id, kind, subject_id, role, holder_id, public_key, sealed_private_key, expires_at, signing_fingerprint, issued_at, signature, created_at) " +
                          "VALUES (@id, 'issuer', @Issuer, 'admin', @Member, @k, '{}', @t, @b32, @t, @b64, @t)",
                    new { id = Id(), s.Issuer, s.Member, k = new byte[91], b32 = B32, b64 = B64, t });
                await Run("INSERT INTO certificates (id, kind, subject_id, base_group, encryption_fingerprint, signing_fingerprint, keyset_id, keyset_serial, issuer_id, issued_at, signature, created_at) " +
                          "VALUES (@id, 'member', @Member, 'team_members', @b32, @b32, @MemberKeyset, 1, @Issuer, @t, @b64, @t)",
                    new { id = Id(), s.Member, s.MemberKeyset, s.Issuer, b32 = B32, b64 = B64, t });
                await Run("INSERT INTO certificates (id, kind, subject_id, group_kind, encryption_fingerprint, signing_fingerprint, keyset_id, keyset_serial, issuer_id, issued_at, signature, created_at) " +
                          "VALUES (@id, 'group', @Team, 'team_members', @b32, @b32, @groupKeyset, 1, @Issuer, @t, @b64, @t)",
                    new { id = Id(), s.Team, groupKeyset, s.Issuer, b32 = B32, b64 = B64, t });
                await Run("INSERT INTO revocation_lists (version, issued_at, issuer_id, entries, signature, created_at) VALUES (1, @t, NULL, '[]', @b64, @t)", new { b64 = B64, t });
                await Run("INSERT INTO group_memberships (group_id, member_id, key_serial, member_keyset_serial, wrapped_key, signer_id, signature, created_at) VALUES (@Team, @Member, 1, 1, @w, @Member, @b64, @t)",
                    new { s.Team, s.Member, w = new byte[256], b64 = B64, t });
                await Run("INSERT INTO keysets (id, serial, member_id, group_id, sealed_symmetric_key, sealed_encryption_private_key, sealed_signing_private_key, encryption_public_key, signing_public_key, created_at) " +
                          "VALUES (@customKeyset, 1, NULL, @Custom, NULL, '{}', '{}', @k, @k, @t)",
                    new { customKeyset = Id(), s.Custom, k = new byte[294], t });
                await Run("INSERT INTO group_manager_wraps (group_id, key_serial, manager_group_id, manager_key_serial, wrapped_key, signer_id, signature, created_at) " +
                          "VALUES (@Team, 1, @Custom, 1, @w, @Member, @b64, @t)",
                    new { s.Team, s.Custom, w = new byte[256], s.Member, b64 = B64, t });
                await Run("INSERT INTO invitations (id, member_id, token_hash, base_group, invited_by, created_at, expires_at, accepted_at) VALUES (@invited, @Member2, @b32, 'guests', @Member, @t, @t, NULL)",
                    new { invited, s.Member2, s.Member, b32 = B32, t });
                await Run("INSERT INTO devices (id, member_id, name, platform, client_version, created_at, last_seen_at, revoked_at) VALUES (@device, @Member, 'Work laptop', 'linux-cli', '0.1.0', @t, @t, NULL)",
                    new { device, s.Member, t });
                await Run("INSERT INTO sessions (id, member_id, device_id, key_material, created_at, last_used_at, expires_at, mfa_level, mfa_at, ip, ended_at) VALUES (@Session, @Member, @device, @b32, @t, @t, @t, 'pending', NULL, '2001:db8::1', NULL)",
                    new { s.Session, s.Member, device, b32 = B32, t });
                await Run("INSERT INTO session_writes (session_id, seq, created_at) VALUES (@Session, 1, @t), (@Session, 2, @t)", new { s.Session, t });
                await Run("INSERT INTO auth_attempts (id, member_id, email_normalized, device_id, device_name, device_platform, device_client_version, ip, srp_b, srp_a, created_at, expires_at) " +
                          "VALUES (@a1, @Member, 'ann@example.com', @device, 'Work laptop', 'linux-cli', '0.1.0', '192.0.2.1', @b32, @b512, @t, @t), " +
                          "(@a2, NULL, 'nobody@example.com', @fresh, 'Phone', 'web', '0.1.0', '192.0.2.1', NULL, NULL, @t, @t)",
                    new { a1 = Id(), a2 = Id(), fresh = Id(), s.Member, device, b32 = B32, b512 = B512, t });
                await Run("INSERT INTO auth_failures (key_kind, key_value, failed_at) VALUES ('account', 'nobody@example.com', @t), ('ip', '192.0.2.1', @t)", new { t });
            }, CancellationToken.None);
            return s;
        }

        public object Parameters() => new
        {
            fresh = Id(),
            fresh2 = Id(),
            org = Org,
            member = Member,
            member2 = Member2,
            custom = Custom,
            memberKeyset = MemberKeyset,
            issuer = Issuer,
            session = Session,
            b32 = B32,
            b64 = B64,
        };

        private static string Id() => Guid.CreateVersion7().ToString();
    }
}
