using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coffer.Cli.Agent;

// Vaults and items travel as one agent operation, "items", whose "call" says what (docs/adr/0020-cli-items.md): the
// agent protocol of ADR 0018 gains one op, and every call here is an account request, so a remote wipe met during any of
// them forgets the account like any other.

/// <summary>A vault or item call for one unlocked account.</summary>
internal sealed record ItemsRequest(string Account, ItemCall Call) : AccountRequest(Account);

/// <summary>What an <see cref="ItemsRequest"/> asks for. Item secrets typed by the person (a password, a TOTP URI) travel only inside these.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(VaultListCall), "vault.list")]
[JsonDerivedType(typeof(VaultCreateCall), "vault.create")]
[JsonDerivedType(typeof(VaultShowCall), "vault.show")]
[JsonDerivedType(typeof(VaultShareCall), "vault.share")]
[JsonDerivedType(typeof(VaultUnshareCall), "vault.unshare")]
[JsonDerivedType(typeof(VaultRotateCall), "vault.rotate")]
[JsonDerivedType(typeof(ItemListCall), "item.list")]
[JsonDerivedType(typeof(ItemGetCall), "item.get")]
[JsonDerivedType(typeof(ItemCreateCall), "item.create")]
[JsonDerivedType(typeof(ItemEditCall), "item.edit")]
[JsonDerivedType(typeof(ItemStateCall), "item.state")]
[JsonDerivedType(typeof(ItemHistoryCall), "item.history")]
internal abstract record ItemCall;

internal sealed record VaultListCall : ItemCall;

internal sealed record VaultCreateCall(string Name, bool SafeForTravel) : ItemCall;

internal sealed record VaultShowCall(string Vault) : ItemCall;

/// <summary>Share with a member (email or id) or a group (name or id).</summary>
internal sealed record VaultShareCall(string Vault, string? Member, string? Group, IReadOnlyList<string> Permissions) : ItemCall;

internal sealed record VaultUnshareCall(string Vault, string? Member, string? Group) : ItemCall;

internal sealed record VaultRotateCall(string Vault) : ItemCall;

/// <summary>List or search overviews. <paramref name="States"/>: active, archived, trashed or all.</summary>
internal sealed record ItemListCall(string? Text, string? Vault, string? Category, string? Tag, string States, int? Limit) : ItemCall;

/// <summary>
/// An item by id or title. Concealed values come back only with <paramref name="Reveal"/>; <paramref name="Field"/> asks for
/// one value only, <paramref name="Otp"/> for the current one-time password only.
/// </summary>
/// <summary><c>item get</c>; <paramref name="Copy"/> says the value goes to the clipboard (for the activity log's copy event).</summary>
internal sealed record ItemGetCall(string Item, string? Vault, bool Reveal, string? Field, bool Otp, bool Copy = false) : ItemCall;

internal sealed record ItemCreateCall(string? Vault, string Category, string Title, ItemChanges Changes) : ItemCall;

internal sealed record ItemEditCall(string Item, string? Vault, ItemChanges Changes) : ItemCall;

/// <summary><paramref name="Action"/>: archive, trash, restore or delete (for good).</summary>
internal sealed record ItemStateCall(string Item, string? Vault, string Action) : ItemCall;

internal sealed record ItemHistoryCall(string Item, string? Vault, bool Reveal) : ItemCall;

/// <summary>What to set on an item; null leaves a value as it is.</summary>
internal sealed record ItemChanges
{
    public string? Title { get; init; }

    public string? Subtitle { get; init; }

    public string? Username { get; init; }

    /// <summary>Replaces every URL.</summary>
    public IReadOnlyList<string>? Urls { get; init; }

    /// <summary>Replaces every tag.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    public IReadOnlyList<string>? AddTags { get; init; }

    public IReadOnlyList<string>? RemoveTags { get; init; }

    public string? Notes { get; init; }

    /// <summary>Text fields to set (by label) or add.</summary>
    public IReadOnlyList<FieldValue>? Fields { get; init; }

    /// <summary>The password, as typed at a prompt or read from stdin (never from argv).</summary>
    public string? Password { get; init; }

    /// <summary>Make a password in the agent instead.</summary>
    public GenerateSpec? Generate { get; init; }

    /// <summary>An <c>otpauth://totp/…</c> URI, from stdin.</summary>
    public string? TotpUri { get; init; }

    public bool? Favourite { get; init; }
}

internal sealed record FieldValue(string Label, string Value);

/// <summary>A generated password (<paramref name="Length"/> characters) or passphrase (<paramref name="Words"/> words).</summary>
internal sealed record GenerateSpec(int? Length, int? Words);

/// <summary>Every answer to an <see cref="ItemsRequest"/>: the result, and a notice for the person (offline, stale) if any.</summary>
internal sealed record ItemsAnswer(JsonElement Value, string? Notice = null);

internal sealed record VaultView(string Id, string Name, string Kind, int Items, long KeySerial, IReadOnlyList<string> Permissions, bool SafeForTravel);

internal sealed record GrantView(string Kind, string Id, string? Name, IReadOnlyList<string> Permissions, long KeySerial);

/// <summary>A vault and, for its managers, who may open it.</summary>
internal sealed record VaultDetails(VaultView Vault, IReadOnlyList<GrantView>? Grants);

/// <summary>
/// After <c>vault unshare</c>: the grant removed and, unless you removed yourself, the vault key rotated (new serial); the
/// items they could read, whose secrets they may have copied.
/// </summary>
internal sealed record UnshareResult(string VaultId, string Vault, GrantView Removed, bool Rotated, long KeySerial, int ItemsTheyCouldRead);

internal sealed record ItemView(string Id, string VaultId, string Vault, string Category, string Title, string? Subtitle, IReadOnlyList<string> Urls,
    IReadOnlyList<string> Tags, bool Favourite, bool Archived, bool Trashed, long UpdatedAt, long Version);

/// <summary>A field; <paramref name="Value"/> is null when it is concealed and not revealed.</summary>
internal sealed record FieldView(string Id, string Label, string Type, string? Purpose, string? Value, bool Concealed);

internal sealed record ItemDetailsView(ItemView Item, IReadOnlyList<FieldView> Fields, string? Notes, bool HasOtp, string? TotpUri, int EarlierPasswords);

/// <summary>One value (<c>item get --field</c>, <c>--otp</c>).</summary>
internal sealed record FieldValueResult(string ItemId, string Field, string Value, long? ValidUntil = null);

internal sealed record VersionView(long Version, long StoredAt, long VaultKeySerial, string? Title, bool? Archived, bool? Trashed);

internal sealed record PasswordChangeView(long ChangedAt, string? Value);

internal sealed record ItemHistoryView(ItemView Item, IReadOnlyList<VersionView> Versions, IReadOnlyList<PasswordChangeView> EarlierPasswords);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ItemsAnswer))]
[JsonSerializable(typeof(IReadOnlyList<VaultView>))]
[JsonSerializable(typeof(VaultView))]
[JsonSerializable(typeof(VaultDetails))]
[JsonSerializable(typeof(GrantView))]
[JsonSerializable(typeof(UnshareResult))]
[JsonSerializable(typeof(IReadOnlyList<ItemView>))]
[JsonSerializable(typeof(ItemView))]
[JsonSerializable(typeof(ItemDetailsView))]
[JsonSerializable(typeof(FieldValueResult))]
[JsonSerializable(typeof(ItemHistoryView))]
internal sealed partial class ItemJsonContext : JsonSerializerContext;
