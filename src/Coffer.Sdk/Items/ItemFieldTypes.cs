namespace Coffer.Sdk.Items;

/// <summary>The field types of PROTOCOL.md §4.1 (a field's <c>type</c>): how a client shows and checks the value.</summary>
public static class ItemFieldTypes
{
    /// <summary>Plain text, shown.</summary>
    public const string Text = "string";

    /// <summary>A secret, hidden until revealed (needs <c>view_and_copy_passwords</c> to reveal or copy).</summary>
    public const string Concealed = "concealed";

    /// <summary>An email address.</summary>
    public const string Email = "email";

    /// <summary>A URL.</summary>
    public const string Url = "url";

    /// <summary>An <c>otpauth://</c> URI; clients show its current code.</summary>
    public const string Otp = "otp";

    /// <summary>A calendar date, <c>yyyy-MM-dd</c>.</summary>
    public const string Date = "date";

    /// <summary>A telephone number.</summary>
    public const string Phone = "phone";

    /// <summary>Every field type, in PROTOCOL.md's order.</summary>
    public static IReadOnlyList<string> All { get; } = [Text, Concealed, Email, Url, Otp, Date, Phone];

    /// <summary>True if <paramref name="type"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string? type) => type is not null && All.Contains(type, StringComparer.Ordinal);
}
