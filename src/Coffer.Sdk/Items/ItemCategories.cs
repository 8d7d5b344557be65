namespace Coffer.Sdk.Items;

/// <summary>The item categories of PROTOCOL.md §4.1, as they appear in an overview's <c>category</c>.</summary>
public static class ItemCategories
{
    /// <summary>A website or app sign-in: username, password, URLs, perhaps a one-time password.</summary>
    public const string Login = "login";

    /// <summary>A password on its own (a Wi-Fi key, a PIN).</summary>
    public const string Password = "password";

    /// <summary>Free text kept secret.</summary>
    public const string SecureNote = "secure_note";

    /// <summary>An API key or token and what it is for.</summary>
    public const string ApiCredential = "api_credential";

    /// <summary>A server's address and its administrator credentials.</summary>
    public const string Server = "server";

    /// <summary>A database connection: host, port, database, user, password.</summary>
    public const string Database = "database";

    /// <summary>An SSH key pair.</summary>
    public const string SshKey = "ssh_key";

    /// <summary>Every category, in PROTOCOL.md's order.</summary>
    public static IReadOnlyList<string> All { get; } = [Login, Password, SecureNote, ApiCredential, Server, Database, SshKey];

    /// <summary>True if <paramref name="category"/> is one of <see cref="All"/> (exactly, lower case).</summary>
    public static bool IsKnown(string? category) => category is not null && All.Contains(category, StringComparer.Ordinal);
}
