using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Otp;

namespace Coffer.Sdk.Items;

/// <summary>
/// An item's details (PROTOCOL.md §4.1), opened only when asked for:
/// <c>{v:1, fields:[{id, label, type, value, purpose}], notes, totp:{uri}?, passwordHistory:[{value, changedAt}]}</c>.
/// Keys this client does not know are kept in <see cref="ExtensionData"/> (at every level) and written back unchanged.
/// The values are .NET strings, which cannot be zeroed: keep instances short-lived and drop them when done.
/// </summary>
public sealed class ItemDetails
{
    /// <summary>The plaintext format version this client reads and writes.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The format version (<c>v</c>).</summary>
    [JsonPropertyName("v")]
    public int Format { get; set; } = CurrentFormat;

    /// <summary>The fields, in the order they are shown.</summary>
    public List<ItemField> Fields { get; set; } = [];

    /// <summary>Free text, or null.</summary>
    public string? Notes { get; set; }

    /// <summary>The item's one-time password generator, or null.</summary>
    public ItemTotp? Totp { get; set; }

    /// <summary>Earlier passwords, newest first.</summary>
    public List<PasswordHistoryEntry> PasswordHistory { get; set; } = [];

    /// <summary>Keys this client does not know, preserved on edit.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>The value of the field whose purpose is <c>username</c>, or null.</summary>
    [JsonIgnore]
    public string? Username => FieldWithPurpose(ItemFieldPurposes.Username)?.Value;

    /// <summary>The value of the field whose purpose is <c>password</c>, or null.</summary>
    [JsonIgnore]
    public string? Password => FieldWithPurpose(ItemFieldPurposes.Password)?.Value;

    /// <summary>Reads a details JSON.</summary>
    /// <exception cref="ItemValidationException">It is not item details: not JSON, a known key of the wrong type.</exception>
    public static ItemDetails Parse(ReadOnlySpan<byte> json) => ItemJson.Parse(json, ItemJson.Context.ItemDetails, "details");

    /// <summary>The details as UTF-8 JSON (the plaintext that gets sealed; the caller zeroes it when done).</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ItemJson.Context.ItemDetails);

    /// <summary>A deep copy.</summary>
    public ItemDetails Clone()
    {
        byte[] json = ToJson();
        try
        {
            return Parse(json);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(json);
        }
    }

    /// <summary>The first field with <paramref name="purpose"/> (<see cref="ItemFieldPurposes"/>), or null.</summary>
    public ItemField? FieldWithPurpose(string purpose) =>
        Fields.FirstOrDefault(f => string.Equals(f.Purpose, purpose, StringComparison.Ordinal));

    /// <summary>
    /// Sets the password: the value of the field whose purpose is <c>password</c> (a concealed field labelled
    /// <c>password</c> is added when there is none). A different earlier value moves to the front of
    /// <see cref="PasswordHistory"/> with <paramref name="changedAt"/>.
    /// </summary>
    public void SetPassword(string password, DateTimeOffset changedAt)
    {
        ArgumentNullException.ThrowIfNull(password);
        ItemField? field = FieldWithPurpose(ItemFieldPurposes.Password);
        if (field is null)
        {
            Fields.Add(new ItemField
            {
                Id = ItemField.NewId(),
                Label = "password",
                Type = ItemFieldTypes.Concealed,
                Value = password,
                Purpose = ItemFieldPurposes.Password,
            });
            return;
        }
        Remember(field.Value, password, changedAt);
        field.Value = password;
    }

    /// <summary>
    /// After an edit made from <paramref name="previous"/>: if the password (the field whose purpose is <c>password</c>)
    /// changed or went away, its earlier value moves to the front of <see cref="PasswordHistory"/> with
    /// <paramref name="changedAt"/>. Call it on the edited copy before saving.
    /// </summary>
    public void RecordPasswordChange(ItemDetails previous, DateTimeOffset changedAt)
    {
        ArgumentNullException.ThrowIfNull(previous);
        Remember(previous.Password, Password, changedAt);
    }

    /// <summary>
    /// The current one-time password: from <see cref="Totp"/>, else from the first field of type <c>otp</c>; null when the
    /// item has neither.
    /// </summary>
    /// <exception cref="FormatException">The URI is not a valid <c>otpauth://totp</c> URI.</exception>
    public OtpCode? CurrentOtp(DateTimeOffset now)
    {
        string? uri = Totp?.Uri ?? Fields.FirstOrDefault(f => string.Equals(f.Type, ItemFieldTypes.Otp, StringComparison.Ordinal)
            && !string.IsNullOrWhiteSpace(f.Value))?.Value;
        return uri is null ? null : OtpCode.Compute(uri, now);
    }

    private void Remember(string? before, string? after, DateTimeOffset changedAt)
    {
        if (string.IsNullOrEmpty(before) || string.Equals(before, after, StringComparison.Ordinal)
            || (PasswordHistory.Count > 0 && string.Equals(PasswordHistory[0].Value, before, StringComparison.Ordinal)))
        {
            // Unchanged, or recorded already (SetPassword, then RecordPasswordChange on the same edit).
            return;
        }
        PasswordHistory.Insert(0, new PasswordHistoryEntry { Value = before, ChangedAt = changedAt.ToUnixTimeMilliseconds() });
    }
}

/// <summary>One field of an item: <c>{id, label, type, value, purpose}</c>.</summary>
public sealed class ItemField
{
    /// <summary>Unique within the item; stays the same across edits.</summary>
    public string Id { get; set; } = "";

    /// <summary>What the field is called.</summary>
    public string Label { get; set; } = "";

    /// <summary>One of <see cref="ItemFieldTypes"/>.</summary>
    public string Type { get; set; } = ItemFieldTypes.Text;

    /// <summary>The value.</summary>
    public string Value { get; set; } = "";

    /// <summary>One of <see cref="ItemFieldPurposes"/>, or null.</summary>
    public string? Purpose { get; set; }

    /// <summary>Keys this client does not know, preserved on edit.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>A new random field id (10 base32 characters, lower case).</summary>
    public static string NewId()
    {
        Span<byte> random = stackalloc byte[6];
        RandomNumberGenerator.Fill(random);
        return Base32.Encode(random)[..10].ToLowerInvariant();
    }
}

/// <summary>An item's time-based one-time password generator: <c>{uri}</c>, an <c>otpauth://totp/…</c> URI.</summary>
public sealed class ItemTotp
{
    /// <summary>The <c>otpauth://</c> URI (it holds the shared secret).</summary>
    public string Uri { get; set; } = "";

    /// <summary>Keys this client does not know, preserved on edit.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>The code for <paramref name="now"/>.</summary>
    /// <exception cref="FormatException">The URI is not a valid <c>otpauth://totp</c> URI.</exception>
    public OtpCode CurrentCode(DateTimeOffset now) => OtpCode.Compute(Uri, now);
}

/// <summary>An earlier password: <c>{value, changedAt}</c>.</summary>
public sealed class PasswordHistoryEntry
{
    /// <summary>The password as it was.</summary>
    public string Value { get; set; } = "";

    /// <summary>When it was replaced (Unix ms).</summary>
    public long ChangedAt { get; set; }

    /// <summary>Keys this client does not know, preserved on edit.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>A one-time password and the time step it belongs to (RFC 6238 through <see cref="Totp"/>).</summary>
/// <param name="Code">The digits.</param>
/// <param name="ValidFrom">Start of its time step.</param>
/// <param name="ValidUntil">End of its time step (exclusive).</param>
public sealed record OtpCode(string Code, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil)
{
    /// <summary>The TOTP code of <paramref name="otpAuthUri"/> at <paramref name="now"/>.</summary>
    /// <exception cref="FormatException">The URI is malformed or describes HOTP (whose counter a stored item cannot advance safely).</exception>
    public static OtpCode Compute(string otpAuthUri, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(otpAuthUri);
        using OtpAuthUri parsed = OtpAuthUri.Parse(otpAuthUri);
        if (parsed.Type != OtpType.Totp)
        {
            throw new FormatException("The one-time password is counter-based (HOTP); only time-based codes are generated from an item.");
        }
        using Coffer.Protocol.Otp.Totp totp = parsed.CreateTotp();
        long step = totp.TimeStep(now);
        DateTimeOffset from = DateTimeOffset.FromUnixTimeSeconds(totp.T0 + (step * totp.Period));
        return new OtpCode(totp.ComputeAtStep(step), from, from.AddSeconds(totp.Period));
    }

    /// <summary>The digits only (never the secret).</summary>
    public override string ToString() => Code;
}
