namespace Coffer.Sdk.Items;

/// <summary>
/// The field purposes of PROTOCOL.md §4.1 (a field's optional <c>purpose</c>): which field autofill and the command line
/// take as the username, the password or the notes. An item has at most one username and one password field.
/// </summary>
public static class ItemFieldPurposes
{
    /// <summary>The sign-in name.</summary>
    public const string Username = "username";

    /// <summary>The secret whose earlier values go into the password history.</summary>
    public const string Password = "password";

    /// <summary>Free text about the item.</summary>
    public const string Notes = "notes";

    /// <summary>Every purpose.</summary>
    public static IReadOnlyList<string> All { get; } = [Username, Password, Notes];

    /// <summary>True if <paramref name="purpose"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string? purpose) => purpose is not null && All.Contains(purpose, StringComparer.Ordinal);
}
