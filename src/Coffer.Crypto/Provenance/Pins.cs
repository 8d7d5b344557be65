using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Crypto.Keys;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;

namespace Coffer.Crypto.Provenance;

/// <summary>What a pin check found.</summary>
public enum PinCheck
{
    /// <summary>Nothing was pinned for this; it is now.</summary>
    New,

    /// <summary>Matches what was pinned (or moves it forward).</summary>
    Consistent,

    /// <summary>Contradicts what was pinned: a rollback or a substituted key. Stop and warn.</summary>
    Conflict,

    /// <summary>
    /// The server says it was restored from a backup (a higher restore epoch than pinned), so versions may have gone
    /// back. Nothing was changed: tell the person, then accept with <see cref="Pins.AcceptRestore"/>.
    /// </summary>
    Restored,
}

/// <summary>A subject's verified keys.</summary>
/// <param name="EncryptionFingerprint">SHA-256 of the RSA SPKI.</param>
/// <param name="SigningFingerprint">SHA-256 of the ECDSA SPKI.</param>
/// <param name="KeysetSerial">The keyset serial they belong to.</param>
public sealed record PinnedKeys(byte[] EncryptionFingerprint, byte[] SigningFingerprint, int KeysetSerial)
{
    internal bool SameAs(PinnedKeys other) =>
        KeysetSerial == other.KeysetSerial
        && EncryptionFingerprint.AsSpan().SequenceEqual(other.EncryptionFingerprint)
        && SigningFingerprint.AsSpan().SequenceEqual(other.SigningFingerprint);
}

/// <summary>
/// The pins record of PROTOCOL.md §5.1 and §9: what a member's clients have verified
/// and the highest versions they have seen, so a server cannot substitute a key or roll
/// anything back unnoticed. Sealed by the member's keyset key under
/// <c>coffer/keyset/&lt;keysetId&gt;/pins/v&lt;n&gt;</c> so every device that unlocks inherits it;
/// a device merges the server's copy with its own (the highest of each wins, a
/// contradiction is a conflict). Not thread-safe.
/// </summary>
public sealed class Pins
{
    private readonly Dictionary<string, PinnedKeys> _subjects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _vaultKeySerials = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _vaultVersions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _itemVersions = new(StringComparer.Ordinal);

    /// <summary>The organisation fingerprint (SHA-256 of the root's SPKI), once pinned.</summary>
    public byte[]? OrganisationFingerprint { get; private set; }

    /// <summary>The highest 2SKD iteration count used for this account.</summary>
    public int LastIterations { get; private set; }

    /// <summary>The newest revocation-list version seen.</summary>
    public long RevocationListVersion { get; private set; }

    /// <summary>When that revocation list was issued (Unix ms).</summary>
    public long RevocationListIssuedAt { get; private set; }

    /// <summary>
    /// The issuedAt of the newest certificate of the server's audit key this account has verified (docs/adr/0016), 0 for none.
    /// A certificate older than this names a superseded audit key.
    /// </summary>
    public long AuditKeyIssuedAt { get; private set; }

    /// <summary>The fingerprint of the audit key that certificate names, or null.</summary>
    public byte[]? AuditKeyFingerprint { get; private set; }

    /// <summary>The version of this record; the seal's context names it.</summary>
    public long RecordVersion { get; private set; }

    /// <summary>The newest version of the root-signed key-related policy (<c>key_settings</c>, PROTOCOL.md §5.2) seen; 0 for none.</summary>
    public long KeyPolicyVersion { get; private set; }

    /// <summary>
    /// Records a verified key-related policy version (docs/adr/0022): an older one than pinned is a rollback
    /// (<see cref="PinCheck.Conflict"/>); the same or a newer one moves the pin forward.
    /// </summary>
    public PinCheck ObserveKeyPolicyVersion(long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        if (version < KeyPolicyVersion)
        {
            return PinCheck.Conflict;
        }
        PinCheck result = KeyPolicyVersion == 0 && version > 0 ? PinCheck.New : PinCheck.Consistent;
        KeyPolicyVersion = version;
        return result;
    }

    /// <summary>
    /// The highest restore epoch accepted (docs/adr/0013-restore-epoch.md): how many times the server was restored from a
    /// backup, as far as this account has acknowledged. The vault and item versions pinned belong to this epoch.
    /// </summary>
    public long RestoreEpoch { get; private set; }

    /// <summary>
    /// Checks the server's restore epoch. Lower than pinned: <see cref="PinCheck.Conflict"/> (the server went back and
    /// hides it). Equal: <see cref="PinCheck.Consistent"/>. Higher: <see cref="PinCheck.Restored"/>, changing nothing —
    /// unless no vault or item version is pinned yet, so nothing can have gone back: then it is taken as
    /// <see cref="PinCheck.New"/>.
    /// </summary>
    public PinCheck ObserveRestoreEpoch(long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        if (epoch < RestoreEpoch)
        {
            return PinCheck.Conflict;
        }
        if (epoch == RestoreEpoch)
        {
            return PinCheck.Consistent;
        }
        if (_vaultVersions.Count == 0 && _itemVersions.Count == 0)
        {
            RestoreEpoch = epoch;
            return PinCheck.New;
        }
        return PinCheck.Restored;
    }

    /// <summary>
    /// Accepts a restore the person has been told about: pins <paramref name="epoch"/> and forgets the vault and item
    /// versions of the earlier epoch, so the restored (older) versions become the new floor. Everything that guards keys
    /// is kept: subject keys, vault-key serials, the revocation-list version, the iteration count and the organisation.
    /// An epoch not above the pinned one is a <see cref="PinCheck.Conflict"/> and changes nothing.
    /// </summary>
    public PinCheck AcceptRestore(long epoch)
    {
        if (epoch <= RestoreEpoch)
        {
            return PinCheck.Conflict;
        }
        RestoreEpoch = epoch;
        _vaultVersions.Clear();
        _itemVersions.Clear();
        return PinCheck.Consistent;
    }

    /// <summary>Pins the organisation fingerprint (from the Emergency Kit or the invitation link's fragment).</summary>
    public PinCheck PinOrganisation(ReadOnlySpan<byte> fingerprint)
    {
        RequireFingerprint(fingerprint);
        if (OrganisationFingerprint is null)
        {
            OrganisationFingerprint = fingerprint.ToArray();
            return PinCheck.New;
        }
        return OrganisationFingerprint.AsSpan().SequenceEqual(fingerprint) ? PinCheck.Consistent : PinCheck.Conflict;
    }

    /// <summary>
    /// Checks a subject's (member's or group's) certified keys against the pin. A different key
    /// for a pinned subject is a conflict: accept it only through <see cref="ReplaceSubjectKeys"/>
    /// after verifying a rotation signed by the previous signing key, or a completed recovery.
    /// </summary>
    public PinCheck CheckSubjectKeys(string subjectId, PinnedKeys keys)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        ArgumentNullException.ThrowIfNull(keys);
        RequireFingerprint(keys.EncryptionFingerprint);
        RequireFingerprint(keys.SigningFingerprint);
        if (!_subjects.TryGetValue(subjectId, out PinnedKeys? pinned))
        {
            _subjects[subjectId] = keys;
            return PinCheck.New;
        }
        return pinned.SameAs(keys) ? PinCheck.Consistent : PinCheck.Conflict;
    }

    /// <summary>Replaces a subject's keys after the caller verified the rotation or recovery; a lower serial is refused.</summary>
    public PinCheck ReplaceSubjectKeys(string subjectId, PinnedKeys keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (_subjects.TryGetValue(subjectId, out PinnedKeys? pinned) && keys.KeysetSerial <= pinned.KeysetSerial)
        {
            return PinCheck.Conflict;
        }
        _subjects[subjectId] = keys;
        return PinCheck.Consistent;
    }

    /// <summary>The pinned keys of a subject, if any.</summary>
    public PinnedKeys? SubjectKeys(string subjectId) => _subjects.GetValueOrDefault(subjectId);

    /// <summary>Records a vault-key serial; a decrease is a conflict.</summary>
    public PinCheck ObserveVaultKeySerial(string vaultId, int serial) => Observe(_vaultKeySerials, vaultId, serial);

    /// <summary>The highest vault-key serial seen for a vault (0 = none).</summary>
    public int VaultKeySerial(string vaultId) => _vaultKeySerials.GetValueOrDefault(vaultId);

    /// <summary>Records a vault's content version; a decrease is a conflict.</summary>
    public PinCheck ObserveVaultVersion(string vaultId, long version) => Observe(_vaultVersions, vaultId, version);

    /// <summary>Records an item version; a decrease (an old version replayed) is a conflict.</summary>
    public PinCheck ObserveItemVersion(string itemId, long version) => Observe(_itemVersions, itemId, version);

    /// <summary>The highest version seen of an item (0 = none).</summary>
    public long ItemVersion(string itemId) => _itemVersions.GetValueOrDefault(itemId);

    /// <summary>Records the iteration count used at a successful sign-in.</summary>
    public PinCheck ObserveIterations(int iterations)
    {
        if (iterations < LastIterations)
        {
            return PinCheck.Conflict;
        }
        PinCheck result = LastIterations == 0 ? PinCheck.New : PinCheck.Consistent;
        LastIterations = iterations;
        return result;
    }

    /// <summary>Records a verified revocation list; an older version is a conflict.</summary>
    public PinCheck ObserveRevocationList(long version, long issuedAt)
    {
        if (version < RevocationListVersion)
        {
            return PinCheck.Conflict;
        }
        if (version == RevocationListVersion && version != 0)
        {
            // Two different lists under one version number: one of them is forged.
            return issuedAt == RevocationListIssuedAt ? PinCheck.Consistent : PinCheck.Conflict;
        }
        PinCheck result = RevocationListVersion == 0 ? PinCheck.New : PinCheck.Consistent;
        RevocationListVersion = version;
        RevocationListIssuedAt = issuedAt;
        return result;
    }

    /// <summary>
    /// Records a verified certificate of the server's audit key (docs/adr/0016). An older one than pinned names a superseded
    /// key — a rollback, say to a key that was replaced because it leaked — and is a <see cref="PinCheck.Conflict"/>, as is
    /// another key certified at the same instant; the same or a newer one moves the pin forward.
    /// </summary>
    public PinCheck ObserveAuditKeyCertificate(long issuedAt, ReadOnlySpan<byte> fingerprint)
    {
        RequireFingerprint(fingerprint);
        ArgumentOutOfRangeException.ThrowIfNegative(issuedAt);
        if (issuedAt < AuditKeyIssuedAt)
        {
            return PinCheck.Conflict;
        }
        if (issuedAt == AuditKeyIssuedAt && AuditKeyFingerprint is not null)
        {
            return AuditKeyFingerprint.AsSpan().SequenceEqual(fingerprint) ? PinCheck.Consistent : PinCheck.Conflict;
        }
        PinCheck result = AuditKeyFingerprint is null ? PinCheck.New : PinCheck.Consistent;
        AuditKeyIssuedAt = issuedAt;
        AuditKeyFingerprint = fingerprint.ToArray();
        return result;
    }

    /// <summary>
    /// True if the newest revocation list is recent enough to wrap anything (PROTOCOL.md §5.1:
    /// clients refuse to wrap while the newest list they hold is more than 24 hours old).
    /// </summary>
    public bool RevocationListFresh(long nowMs) =>
        RevocationListVersion > 0 && nowMs - RevocationListIssuedAt <= TimeSpan.FromHours(24).TotalMilliseconds;

    /// <summary>
    /// Merges another copy (the server's, or another device's) into this one: the highest of
    /// every counter wins; a contradictory key or organisation pin leaves this copy's and
    /// returns <see cref="PinCheck.Conflict"/>. Vault and item versions count only within one restore
    /// epoch: a copy with a higher epoch (a restore accepted on another device — the record is sealed
    /// by this account's keyset key, so the server cannot forge one) brings its versions in place of
    /// these, and a copy with a lower epoch brings none.
    /// </summary>
    public PinCheck MergeFrom(Pins other)
    {
        ArgumentNullException.ThrowIfNull(other);
        bool conflict = false;
        if (other.OrganisationFingerprint is not null)
        {
            conflict |= PinOrganisation(other.OrganisationFingerprint) == PinCheck.Conflict;
        }
        foreach ((string id, PinnedKeys keys) in other._subjects)
        {
            if (_subjects.TryGetValue(id, out PinnedKeys? mine) && !mine.SameAs(keys))
            {
                // A later serial may be a rotation another device verified; the record is sealed by our own keyset key.
                if (keys.KeysetSerial > mine.KeysetSerial)
                {
                    _subjects[id] = keys;
                }
                else if (keys.KeysetSerial == mine.KeysetSerial)
                {
                    conflict = true;
                }
            }
            else
            {
                _subjects[id] = keys;
            }
        }
        MergeMax(_vaultKeySerials, other._vaultKeySerials);
        if (other.RestoreEpoch > RestoreEpoch)
        {
            RestoreEpoch = other.RestoreEpoch;
            _vaultVersions.Clear();
            _itemVersions.Clear();
        }
        if (other.RestoreEpoch == RestoreEpoch)
        {
            MergeMax(_vaultVersions, other._vaultVersions);
            MergeMax(_itemVersions, other._itemVersions);
        }
        LastIterations = Math.Max(LastIterations, other.LastIterations);
        if (other.RevocationListVersion > RevocationListVersion)
        {
            RevocationListVersion = other.RevocationListVersion;
            RevocationListIssuedAt = other.RevocationListIssuedAt;
        }
        if (other.AuditKeyFingerprint is not null && other.AuditKeyIssuedAt >= AuditKeyIssuedAt)
        {
            // The same instant with another key is a contradiction; keep ours.
            conflict |= ObserveAuditKeyCertificate(other.AuditKeyIssuedAt, other.AuditKeyFingerprint) == PinCheck.Conflict;
        }
        RecordVersion = Math.Max(RecordVersion, other.RecordVersion);
        KeyPolicyVersion = Math.Max(KeyPolicyVersion, other.KeyPolicyVersion);
        return conflict ? PinCheck.Conflict : PinCheck.Consistent;
    }

    /// <summary>
    /// True when <paramref name="other"/> pins exactly what this record pins, whatever either's <see cref="RecordVersion"/>:
    /// a client stores its pins again only when a check or a merge changed them.
    /// </summary>
    public bool SameContentAs(Pins other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return LastIterations == other.LastIterations
            && RevocationListVersion == other.RevocationListVersion
            && RevocationListIssuedAt == other.RevocationListIssuedAt
            && RestoreEpoch == other.RestoreEpoch
            && AuditKeyIssuedAt == other.AuditKeyIssuedAt
            && KeyPolicyVersion == other.KeyPolicyVersion
            && SameBytes(OrganisationFingerprint, other.OrganisationFingerprint)
            && SameBytes(AuditKeyFingerprint, other.AuditKeyFingerprint)
            && _subjects.Count == other._subjects.Count
            && _subjects.All(p => other._subjects.TryGetValue(p.Key, out PinnedKeys? theirs) && p.Value.SameAs(theirs))
            && SameMap(_vaultKeySerials, other._vaultKeySerials)
            && SameMap(_vaultVersions, other._vaultVersions)
            && SameMap(_itemVersions, other._itemVersions);
    }

    /// <summary>The context of pins record version <paramref name="recordVersion"/>.</summary>
    public static string Context(string keysetId, long recordVersion) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/keyset/{keysetId}/pins/v{recordVersion}");

    /// <summary>Seals the record as its next version under the member's keyset key.</summary>
    public (long RecordVersion, Envelope Sealed) Seal(Keyset keyset)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        RecordVersion++;
        byte[] json = ToJson();
        try
        {
            return (RecordVersion, keyset.SymmetricKey.Seal(Context(keyset.KeysetId, RecordVersion), json));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>
    /// Opens a sealed pins record of version <paramref name="recordVersion"/>. Null if it does
    /// not open under this keyset or its content does not claim the same version.
    /// </summary>
    public static Pins? Open(Keyset keyset, long recordVersion, Envelope sealedPins)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        byte[]? json = keyset.SymmetricKey.Open(Context(keyset.KeysetId, recordVersion), sealedPins);
        if (json is null)
        {
            return null;
        }
        try
        {
            Pins? pins = FromJson(json);
            return pins is not null && pins.RecordVersion == recordVersion ? pins : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    internal byte[] ToJson()
    {
        System.Buffers.ArrayBufferWriter<byte> buffer = new(1024);
        using (Utf8JsonWriter w = new(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", 1);
            w.WriteNumber("recordVersion", RecordVersion);
            if (OrganisationFingerprint is not null)
            {
                w.WriteString("org", Base64Url.Encode(OrganisationFingerprint));
            }
            w.WriteNumber("iterations", LastIterations);
            w.WriteNumber("crlVersion", RevocationListVersion);
            w.WriteNumber("crlIssuedAt", RevocationListIssuedAt);
            w.WriteNumber("restoreEpoch", RestoreEpoch);
            if (KeyPolicyVersion > 0)
            {
                w.WriteNumber("keyPolicyVersion", KeyPolicyVersion);
            }
            if (AuditKeyFingerprint is not null)
            {
                w.WriteString("auditKey", Base64Url.Encode(AuditKeyFingerprint));
                w.WriteNumber("auditKeyIssuedAt", AuditKeyIssuedAt);
            }
            w.WriteStartObject("subjects");
            foreach ((string id, PinnedKeys k) in _subjects.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject(id);
                w.WriteString("enc", Base64Url.Encode(k.EncryptionFingerprint));
                w.WriteString("sig", Base64Url.Encode(k.SigningFingerprint));
                w.WriteNumber("serial", k.KeysetSerial);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            WriteMap(w, "vaultKeys", _vaultKeySerials.ToDictionary(p => p.Key, p => (long)p.Value, StringComparer.Ordinal));
            WriteMap(w, "vaults", _vaultVersions);
            WriteMap(w, "items", _itemVersions);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    internal static Pins? FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json.ToArray());
            JsonElement root = doc.RootElement;
            if (root.GetProperty("v").GetInt32() != 1)
            {
                return null;
            }
            Pins pins = new()
            {
                RecordVersion = root.GetProperty("recordVersion").GetInt64(),
                LastIterations = root.GetProperty("iterations").GetInt32(),
                RevocationListVersion = root.GetProperty("crlVersion").GetInt64(),
                RevocationListIssuedAt = root.GetProperty("crlIssuedAt").GetInt64(),
                // Absent from records written before restore epochs existed: 0, never restored.
                RestoreEpoch = root.TryGetProperty("restoreEpoch", out JsonElement epoch) ? epoch.GetInt64() : 0,
            };
            if (pins.RestoreEpoch < 0)
            {
                return null;
            }
            // Absent from records written before signed key policies existed (docs/adr/0022): none seen.
            pins.KeyPolicyVersion = root.TryGetProperty("keyPolicyVersion", out JsonElement keyPolicy) ? keyPolicy.GetInt64() : 0;
            if (pins.KeyPolicyVersion < 0)
            {
                return null;
            }
            // Absent from records written before audit-key certificates existed (docs/adr/0016): none seen.
            if (root.TryGetProperty("auditKey", out JsonElement auditKey))
            {
                byte[] fpr = Base64Url.Decode(auditKey.GetString()!);
                RequireFingerprint(fpr);
                long issuedAt = root.GetProperty("auditKeyIssuedAt").GetInt64();
                if (issuedAt < 0)
                {
                    return null;
                }
                pins.AuditKeyFingerprint = fpr;
                pins.AuditKeyIssuedAt = issuedAt;
            }
            if (root.TryGetProperty("org", out JsonElement org))
            {
                byte[] fpr = Base64Url.Decode(org.GetString()!);
                RequireFingerprint(fpr);
                pins.OrganisationFingerprint = fpr;
            }
            foreach (JsonProperty s in root.GetProperty("subjects").EnumerateObject())
            {
                PinnedKeys keys = new(Base64Url.Decode(s.Value.GetProperty("enc").GetString()!),
                    Base64Url.Decode(s.Value.GetProperty("sig").GetString()!), s.Value.GetProperty("serial").GetInt32());
                RequireFingerprint(keys.EncryptionFingerprint);
                RequireFingerprint(keys.SigningFingerprint);
                pins._subjects[s.Name] = keys;
            }
            foreach (JsonProperty p in root.GetProperty("vaultKeys").EnumerateObject())
            {
                pins._vaultKeySerials[p.Name] = p.Value.GetInt32();
            }
            foreach (JsonProperty p in root.GetProperty("vaults").EnumerateObject())
            {
                pins._vaultVersions[p.Name] = p.Value.GetInt64();
            }
            foreach (JsonProperty p in root.GetProperty("items").EnumerateObject())
            {
                pins._itemVersions[p.Name] = p.Value.GetInt64();
            }
            return pins;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static void WriteMap(Utf8JsonWriter w, string name, Dictionary<string, long> map)
    {
        w.WriteStartObject(name);
        foreach ((string key, long value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            w.WriteNumber(key, value);
        }
        w.WriteEndObject();
    }

    private static PinCheck Observe<T>(Dictionary<string, T> map, string id, T value) where T : struct, IComparable<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (!map.TryGetValue(id, out T current))
        {
            map[id] = value;
            return PinCheck.New;
        }
        if (value.CompareTo(current) < 0)
        {
            return PinCheck.Conflict;
        }
        map[id] = value;
        return PinCheck.Consistent;
    }

    private static void MergeMax<T>(Dictionary<string, T> mine, Dictionary<string, T> theirs) where T : struct, IComparable<T>
    {
        foreach ((string id, T value) in theirs)
        {
            if (!mine.TryGetValue(id, out T current) || value.CompareTo(current) > 0)
            {
                mine[id] = value;
            }
        }
    }

    private static bool SameBytes(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static bool SameMap<T>(Dictionary<string, T> a, Dictionary<string, T> b) where T : struct, IEquatable<T> =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out T value) && value.Equals(p.Value));

    private static void RequireFingerprint(ReadOnlySpan<byte> fingerprint)
    {
        if (fingerprint.Length != 32)
        {
            throw new ArgumentException("A fingerprint is 32 bytes.", nameof(fingerprint));
        }
    }
}
