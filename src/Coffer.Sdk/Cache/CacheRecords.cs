using System.Text.Json;
using System.Text.Json.Serialization;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Common;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;

namespace Coffer.Sdk.Cache;

/// <summary>
/// The plaintext header's one value: what it takes, with the password and Secret Key, to reach the cache key offline
/// (2SKD → AUK → keyset → cache key). None of it is secret: the server holds the same KDF parameters and sealed keyset.
/// </summary>
/// <param name="MemberId">Whose cache this is.</param>
/// <param name="Kdf">The 2SKD parameters of the last online sign-in.</param>
/// <param name="Keyset">The member's keyset as the server served it (its symmetric key sealed by the AUK).</param>
/// <param name="SealedCacheKey">The cache key sealed by the keyset's symmetric key under <c>coffer/cache/&lt;memberId&gt;/key</c>.</param>
internal sealed record CacheBootstrap(string MemberId, KdfDto Kdf, KeysetDto Keyset, EnvelopeDto SealedCacheKey);

/// <summary>Record <c>account</c>: the last <c>account/keys</c> answer, verified again at every offline unlock as of <paramref name="FetchedAt"/>.</summary>
/// <param name="Keys">The answer as served.</param>
/// <param name="Kdf">The KDF parameters it was unlocked with.</param>
/// <param name="FetchedAt">When it was fetched and verified (Unix ms).</param>
internal sealed record AccountRecord(AccountKeysResponse Keys, KdfDto Kdf, long FetchedAt);

/// <summary>Record <c>state</c>: the pins, the last online sign-in and the offline window then in force.</summary>
/// <param name="Pins">The pins record's JSON (highest versions per vault and item, verified keys, …).</param>
/// <param name="LastOnlineAt">The last online open (Unix ms).</param>
/// <param name="OfflineWindowMs">How long after it the cache may be opened offline; 0: never.</param>
/// <param name="RestoreEpoch">The server restore epoch the cached versions and cursors belong to.</param>
internal sealed record StateRecord(JsonElement Pins, long LastOnlineAt, long OfflineWindowMs, long RestoreEpoch);

/// <summary>Record <c>vault/&lt;vaultId&gt;</c>: the vault as served (its grants and successions), its sync cursor and item count.</summary>
/// <param name="Vault">The vault as served.</param>
/// <param name="Cursor">Every change up to this content version is in the cache.</param>
/// <param name="ItemCount">How many item rows the vault has (a row removed from the file is noticed).</param>
internal sealed record VaultRecord(VaultDto Vault, long Cursor, int ItemCount);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(CacheBootstrap))]
[JsonSerializable(typeof(AccountRecord))]
[JsonSerializable(typeof(StateRecord))]
[JsonSerializable(typeof(VaultRecord))]
[JsonSerializable(typeof(ItemDto))]
[JsonSerializable(typeof(MemberCertificateResponse))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
