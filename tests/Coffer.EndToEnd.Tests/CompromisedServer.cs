using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The malicious server of the threat model, played on the running server's own SQLite file (WAL mode, so a second connection
/// writes while the server runs): it changes what the server will serve next — envelopes, versions, public keys, key wraps —
/// with everything the server knows and nothing a client holds. Each change returns an undo, so one test's attack does not
/// outlive it.
/// </summary>
internal sealed class CompromisedServer(string dataDirectory)
{
    private string ConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataDirectory, "coffer.db"),
        Pooling = false,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>Runs statements in one transaction (the server's busy timeout and ours make the two writers take turns).</summary>
    public void Execute(Action<SqliteConnection, SqliteTransaction> change)
    {
        using SqliteConnection connection = new(ConnectionString);
        connection.Open();
        using (SqliteCommand busy = connection.CreateCommand())
        {
            busy.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";
            busy.ExecuteNonQuery();
        }
        using SqliteTransaction tx = connection.BeginTransaction();
        change(connection, tx);
        tx.Commit();
    }

    public T Query<T>(string sql, params (string Name, object Value)[] args)
    {
        T result = default!;
        Execute((c, tx) => result = (T)Convert.ChangeType(Command(c, tx, sql, args).ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture));
        return result;
    }

    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction tx, string sql, params (string Name, object Value)[] args)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach ((string name, object value) in args)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }

    /// <summary>
    /// Announces a change to a vault as the server does for a real one: the vault's content version grows by one and the named
    /// items carry it as their change, so every client's next sync fetches them.
    /// </summary>
    private static void Announce(SqliteConnection c, SqliteTransaction tx, string vaultId, params string[] itemIds)
    {
        Command(c, tx, "UPDATE vaults SET content_version = content_version + 1 WHERE id = $v", ("$v", vaultId)).ExecuteNonQuery();
        foreach (string itemId in itemIds)
        {
            Command(c, tx, "UPDATE items SET changed_at = (SELECT content_version FROM vaults WHERE id = $v) WHERE id = $i",
                ("$v", vaultId), ("$i", itemId)).ExecuteNonQuery();
        }
    }

    /// <summary>The id of the item with this exact title is unknown to the server; the tests learn ids from <c>--format json</c>.</summary>
    public string VaultOf(string itemId) => Query<string>("SELECT vault_id FROM items WHERE id = $i", ("$i", itemId));

    /// <summary>Serves item <paramref name="a"/> with <paramref name="b"/>'s sealed details and the other way round.</summary>
    public Action SwapDetails(string a, string b)
    {
        string vault = VaultOf(a);
        string detailsA = Query<string>("SELECT sealed_details FROM items WHERE id = $i", ("$i", a));
        string detailsB = Query<string>("SELECT sealed_details FROM items WHERE id = $i", ("$i", b));
        Execute((c, tx) =>
        {
            Command(c, tx, "UPDATE items SET sealed_details = $d WHERE id = $i", ("$d", detailsB), ("$i", a)).ExecuteNonQuery();
            Command(c, tx, "UPDATE items SET sealed_details = $d WHERE id = $i", ("$d", detailsA), ("$i", b)).ExecuteNonQuery();
            Announce(c, tx, vault, a, b);
        });
        return () => SwapDetails(a, b);
    }

    /// <summary>Serves an item as one of its earlier versions (from its history), announced as a new change.</summary>
    public Action ServeOlderVersion(string itemId, long version)
    {
        string vault = VaultOf(itemId);
        Dictionary<string, object> current = Row("SELECT version, vault_key_serial, sealed_item_key, sealed_overview, sealed_details, archived, trashed, updated_at FROM items WHERE id = $i", itemId);
        Execute((c, tx) =>
        {
            Command(c, tx, """
                UPDATE items SET (version, vault_key_serial, sealed_item_key, sealed_overview, sealed_details, archived, trashed, updated_at) =
                    (SELECT version, vault_key_serial, sealed_item_key, sealed_overview, sealed_details, archived, trashed, updated_at
                     FROM item_history WHERE item_id = $i AND version = $n)
                WHERE id = $i
                """, ("$i", itemId), ("$n", version)).ExecuteNonQuery();
            Announce(c, tx, vault, itemId);
        });
        return () => Execute((c, tx) =>
        {
            Command(c, tx, """
                UPDATE items SET version = $version, vault_key_serial = $vault_key_serial, sealed_item_key = $sealed_item_key,
                    sealed_overview = $sealed_overview, sealed_details = $sealed_details, archived = $archived, trashed = $trashed,
                    updated_at = $updated_at WHERE id = $i
                """, [("$i", itemId), .. current.Select(kv => ("$" + kv.Key, kv.Value))]).ExecuteNonQuery();
            Announce(c, tx, vault, itemId);
        });
    }

    /// <summary>Replaces the encryption public key the server holds for a member (their newest keyset) with one of its own.</summary>
    /// <param name="memberId">Whose key.</param>
    /// <param name="alsoInCertificate">Also writes the new key's fingerprint into the member's certificate (whose signature then breaks).</param>
    public Action SubstituteEncryptionKey(string memberId, bool alsoInCertificate)
    {
        Dictionary<string, object> keyset = Row("SELECT id, serial, encryption_public_key FROM keysets WHERE member_id = $i ORDER BY serial DESC LIMIT 1", memberId);
        byte[]? certificateFingerprint = alsoInCertificate
            ? (byte[])Row("SELECT encryption_fingerprint FROM certificates WHERE kind = 'member' AND subject_id = $i ORDER BY issued_at DESC LIMIT 1", memberId)["encryption_fingerprint"]
            : null;
        using RSA server = RSA.Create(2048);
        byte[] spki = server.ExportSubjectPublicKeyInfo();
        Execute((c, tx) =>
        {
            Command(c, tx, "UPDATE keysets SET encryption_public_key = $k WHERE id = $id AND serial = $s",
                ("$k", spki), ("$id", keyset["id"]), ("$s", keyset["serial"])).ExecuteNonQuery();
            if (alsoInCertificate)
            {
                Command(c, tx, "UPDATE certificates SET encryption_fingerprint = $f WHERE kind = 'member' AND subject_id = $i",
                    ("$f", SHA256.HashData(spki)), ("$i", memberId)).ExecuteNonQuery();
            }
            Command(c, tx, "UPDATE members SET updated_at = updated_at + 1 WHERE id = $i", ("$i", memberId)).ExecuteNonQuery();
        });
        return () => Execute((c, tx) =>
        {
            Command(c, tx, "UPDATE keysets SET encryption_public_key = $k WHERE id = $id AND serial = $s",
                ("$k", keyset["encryption_public_key"]), ("$id", keyset["id"]), ("$s", keyset["serial"])).ExecuteNonQuery();
            if (certificateFingerprint is not null)
            {
                Command(c, tx, "UPDATE certificates SET encryption_fingerprint = $f WHERE kind = 'member' AND subject_id = $i",
                    ("$f", certificateFingerprint), ("$i", memberId)).ExecuteNonQuery();
            }
        });
    }

    /// <summary>
    /// Replaces a member's grant of a vault with a vault key of the server's own, wrapped (RSA-OAEP-SHA256) to the member's real
    /// public key; signed by nobody (64 random bytes under the real signer's id) or, with <paramref name="signerId"/>, by a key
    /// of the server's own under an id no issuer certified. With <paramref name="asNewSerial"/> the key comes as the vault's
    /// next serial (a "rotation" without a succession from the key the member holds).
    /// </summary>
    public Action InjectVaultKey(string vaultId, string memberId, string? signerId = null, bool asNewSerial = false)
    {
        Dictionary<string, object> grant = Row(
            "SELECT key_serial, wrapped_key, signer_id, signature FROM vault_grants WHERE vault_id = $i AND principal_kind = 'member' AND principal_id = $m",
            vaultId, ("$m", memberId));
        long serial = (long)grant["key_serial"];
        byte[] wrap = WrapToMember(memberId);
        Execute((c, tx) =>
        {
            if (asNewSerial)
            {
                Command(c, tx, "UPDATE vaults SET key_serial = key_serial + 1 WHERE id = $v", ("$v", vaultId)).ExecuteNonQuery();
            }
            Command(c, tx, """
                UPDATE vault_grants SET wrapped_key = $w, signature = $sig, signer_id = $signer, key_serial = $serial
                WHERE vault_id = $v AND principal_kind = 'member' AND principal_id = $m
                """, ("$w", wrap), ("$sig", RandomNumberGenerator.GetBytes(64)), ("$signer", signerId ?? grant["signer_id"]),
                ("$serial", asNewSerial ? serial + 1 : serial), ("$v", vaultId), ("$m", memberId)).ExecuteNonQuery();
            Announce(c, tx, vaultId);
        });
        return () => Execute((c, tx) =>
        {
            if (asNewSerial)
            {
                Command(c, tx, "UPDATE vaults SET key_serial = key_serial - 1 WHERE id = $v", ("$v", vaultId)).ExecuteNonQuery();
            }
            Command(c, tx, """
                UPDATE vault_grants SET wrapped_key = $w, signature = $sig, signer_id = $signer, key_serial = $serial
                WHERE vault_id = $v AND principal_kind = 'member' AND principal_id = $m
                """, ("$w", grant["wrapped_key"]), ("$sig", grant["signature"]), ("$signer", grant["signer_id"]), ("$serial", serial),
                ("$v", vaultId), ("$m", memberId)).ExecuteNonQuery();
            Announce(c, tx, vaultId);
        });
    }

    /// <summary>Replaces a member's wrap of a group's key (their membership) with a key of the server's own, signed by nobody.</summary>
    public Action InjectGroupKey(string groupKind, string memberId)
    {
        string groupId = Query<string>("SELECT id FROM groups WHERE kind = $k", ("$k", groupKind));
        Dictionary<string, object> membership = Row("SELECT wrapped_key, signature FROM group_memberships WHERE group_id = $i AND member_id = $m",
            groupId, ("$m", memberId));
        byte[] wrap = WrapToMember(memberId);
        Execute((c, tx) => Command(c, tx, "UPDATE group_memberships SET wrapped_key = $w, signature = $sig WHERE group_id = $g AND member_id = $m",
            ("$w", wrap), ("$sig", RandomNumberGenerator.GetBytes(64)), ("$g", groupId), ("$m", memberId)).ExecuteNonQuery());
        return () => Execute((c, tx) => Command(c, tx, "UPDATE group_memberships SET wrapped_key = $w, signature = $sig WHERE group_id = $g AND member_id = $m",
            ("$w", membership["wrapped_key"]), ("$sig", membership["signature"]), ("$g", groupId), ("$m", memberId)).ExecuteNonQuery());
    }

    /// <summary>How many grants a vault has.</summary>
    public long GrantCount(string vaultId) => Query<long>("SELECT count(*) FROM vault_grants WHERE vault_id = $v", ("$v", vaultId));

    /// <summary>32 random bytes (a key the server chose) wrapped with RSA-OAEP-SHA256 to the member's newest public key.</summary>
    private byte[] WrapToMember(string memberId)
    {
        byte[] spki = (byte[])Row("SELECT encryption_public_key FROM keysets WHERE member_id = $i ORDER BY serial DESC LIMIT 1", memberId)["encryption_public_key"];
        using RSA recipient = RSA.Create();
        recipient.ImportSubjectPublicKeyInfo(spki, out _);
        return recipient.Encrypt(RandomNumberGenerator.GetBytes(32), RSAEncryptionPadding.OaepSHA256);
    }

    private Dictionary<string, object> Row(string sql, string id, params (string Name, object Value)[] more)
    {
        Dictionary<string, object> row = new(StringComparer.Ordinal);
        Execute((c, tx) =>
        {
            using SqliteDataReader reader = Command(c, tx, sql, [("$i", id), .. more]).ExecuteReader();
            Assert.True(reader.Read(), "no row for " + sql);
            for (int i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.GetValue(i);
            }
        });
        return row;
    }
}
