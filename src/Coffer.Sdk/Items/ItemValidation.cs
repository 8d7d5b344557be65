using System.Globalization;
using System.Security.Cryptography;
using Coffer.Crypto.Items;
using Coffer.Protocol.Otp;

namespace Coffer.Sdk.Items;

/// <summary>
/// What an item must be before this client seals it (PROTOCOL.md §4.1; POLICY.md "Data handling"): format v1, a known
/// category, a title, URLs that are URLs, tags each once, fields with unique ids, known types and purposes (at most one
/// username and one password), values that fit their type (an <c>otp</c> field and <c>totp.uri</c> are valid
/// <c>otpauth://</c> URIs, a date is <c>yyyy-MM-dd</c>), and overview plus details at most the organisation's cap
/// (64 KiB by default). Problems name their place and never the value.
/// </summary>
public static class ItemValidation
{
    /// <summary>The default cap on overview plus details plaintext (POLICY.md: 64 KiB).</summary>
    public const int DefaultMaximumBytes = ItemCrypto.DefaultMaximumPlaintextBytes;

    /// <summary>Every problem with the item, or an empty list.</summary>
    /// <param name="overview">The overview.</param>
    /// <param name="details">The details.</param>
    /// <param name="maximumBytes">The organisation's cap on overview plus details JSON, in bytes.</param>
    public static IReadOnlyList<ItemProblem> Check(ItemOverview overview, ItemDetails details, int maximumBytes = DefaultMaximumBytes)
    {
        ArgumentNullException.ThrowIfNull(overview);
        ArgumentNullException.ThrowIfNull(details);
        List<ItemProblem> problems = [];
        CheckOverview(overview, problems);
        CheckDetails(details, problems);
        int size = SizeOf(overview, details);
        if (size > maximumBytes)
        {
            problems.Add(new ItemProblem("item", string.Create(CultureInfo.InvariantCulture,
                $"is {size} bytes of overview and details; the organisation allows at most {maximumBytes} ({maximumBytes / 1024} KiB)")));
        }
        return problems;
    }

    /// <summary>Throws unless the item may be written.</summary>
    /// <exception cref="ItemValidationException">Every problem found.</exception>
    public static void Validate(ItemOverview overview, ItemDetails details, int maximumBytes = DefaultMaximumBytes)
    {
        IReadOnlyList<ItemProblem> problems = Check(overview, details, maximumBytes);
        if (problems.Count > 0)
        {
            throw new ItemValidationException(problems);
        }
    }

    /// <summary>The size the cap counts: overview JSON plus details JSON, in UTF-8 bytes.</summary>
    public static int SizeOf(ItemOverview overview, ItemDetails details)
    {
        ArgumentNullException.ThrowIfNull(overview);
        ArgumentNullException.ThrowIfNull(details);
        byte[] o = overview.ToJson();
        byte[] d = details.ToJson();
        int size = o.Length + d.Length;
        CryptographicOperations.ZeroMemory(d);
        return size;
    }

    private static void CheckOverview(ItemOverview o, List<ItemProblem> problems)
    {
        if (o.Format != ItemOverview.CurrentFormat)
        {
            problems.Add(new ItemProblem("overview.v", "must be 1 (the item format this client writes)"));
        }
        if (!ItemCategories.IsKnown(o.Category))
        {
            problems.Add(new ItemProblem("overview.category", "must be one of " + string.Join(", ", ItemCategories.All)));
        }
        if (string.IsNullOrWhiteSpace(o.Title))
        {
            problems.Add(new ItemProblem("overview.title", "must not be empty"));
        }
        if (o.Urls is null)
        {
            problems.Add(new ItemProblem("overview.urls", "must be a list"));
        }
        else
        {
            for (int i = 0; i < o.Urls.Count; i++)
            {
                string at = Indexed("overview.urls", i);
                if (o.Urls[i] is null)
                {
                    problems.Add(new ItemProblem(at, "must be an object"));
                }
                else if (o.Urls[i].Host() is null)
                {
                    problems.Add(new ItemProblem(at + ".href", "must be a URL or a host name"));
                }
            }
        }
        if (o.Tags is null)
        {
            problems.Add(new ItemProblem("overview.tags", "must be a list"));
        }
        else
        {
            HashSet<string> seen = new(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < o.Tags.Count; i++)
            {
                string? tag = o.Tags[i];
                if (string.IsNullOrWhiteSpace(tag))
                {
                    problems.Add(new ItemProblem(Indexed("overview.tags", i), "must not be empty"));
                }
                else if (!seen.Add(tag.Trim()))
                {
                    problems.Add(new ItemProblem(Indexed("overview.tags", i), "repeats an earlier tag"));
                }
            }
        }
        if (o.UpdatedAt < 0)
        {
            problems.Add(new ItemProblem("overview.updatedAt", "must not be negative"));
        }
    }

    private static void CheckDetails(ItemDetails d, List<ItemProblem> problems)
    {
        if (d.Format != ItemDetails.CurrentFormat)
        {
            problems.Add(new ItemProblem("details.v", "must be 1 (the item format this client writes)"));
        }
        if (d.Fields is null)
        {
            problems.Add(new ItemProblem("details.fields", "must be a list"));
        }
        else
        {
            Dictionary<string, int> ids = new(StringComparer.Ordinal);
            Dictionary<string, int> purposes = new(StringComparer.Ordinal);
            for (int i = 0; i < d.Fields.Count; i++)
            {
                CheckField(d.Fields[i], Indexed("details.fields", i), i, ids, purposes, problems);
            }
        }
        if (d.Totp is not null && !IsTotpUri(d.Totp.Uri))
        {
            problems.Add(new ItemProblem("details.totp.uri", "must be a valid otpauth://totp/ URI"));
        }
        if (d.PasswordHistory is null)
        {
            problems.Add(new ItemProblem("details.passwordHistory", "must be a list"));
        }
        else
        {
            for (int i = 0; i < d.PasswordHistory.Count; i++)
            {
                if (d.PasswordHistory[i] is null || d.PasswordHistory[i].ChangedAt < 0)
                {
                    problems.Add(new ItemProblem(Indexed("details.passwordHistory", i), "must have a changedAt time that is not negative"));
                }
            }
        }
    }

    private static void CheckField(ItemField? field, string at, int index, Dictionary<string, int> ids, Dictionary<string, int> purposes,
        List<ItemProblem> problems)
    {
        if (field is null)
        {
            problems.Add(new ItemProblem(at, "must be an object"));
            return;
        }
        if (string.IsNullOrWhiteSpace(field.Id))
        {
            problems.Add(new ItemProblem(at + ".id", "must not be empty"));
        }
        else if (!ids.TryAdd(field.Id, index))
        {
            problems.Add(new ItemProblem(at + ".id", "repeats the id of " + Indexed("details.fields", ids[field.Id])));
        }
        if (!ItemFieldTypes.IsKnown(field.Type))
        {
            problems.Add(new ItemProblem(at + ".type", "must be one of " + string.Join(", ", ItemFieldTypes.All)));
        }
        if (field.Purpose is not null)
        {
            if (!ItemFieldPurposes.IsKnown(field.Purpose))
            {
                problems.Add(new ItemProblem(at + ".purpose", "must be one of " + string.Join(", ", ItemFieldPurposes.All) + ", or absent"));
            }
            else if (field.Purpose != ItemFieldPurposes.Notes && !purposes.TryAdd(field.Purpose, index))
            {
                problems.Add(new ItemProblem(at + ".purpose", "repeats the purpose of " + Indexed("details.fields", purposes[field.Purpose])
                    + " (an item has one " + field.Purpose + ")"));
            }
        }
        string value = field.Value ?? "";
        if (field.Value is null)
        {
            problems.Add(new ItemProblem(at + ".value", "must be a string"));
        }
        if (value.Length == 0)
        {
            return;
        }
        string? wrong = field.Type switch
        {
            ItemFieldTypes.Otp when !IsTotpUri(value) && !IsOtpUri(value) => "must be a valid otpauth:// URI",
            ItemFieldTypes.Date when !DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) =>
                "must be a date written yyyy-MM-dd",
            ItemFieldTypes.Email when !IsEmail(value) => "must be an email address",
            ItemFieldTypes.Url when new ItemUrl { Href = value }.Host() is null => "must be a URL or a host name",
            _ => null,
        };
        if (wrong is not null)
        {
            problems.Add(new ItemProblem(at + ".value", wrong));
        }
    }

    private static bool IsTotpUri(string? uri)
    {
        if (!OtpAuthUri.TryParse(uri, out OtpAuthUri? parsed))
        {
            return false;
        }
        using (parsed)
        {
            return parsed.Type == OtpType.Totp;
        }
    }

    private static bool IsOtpUri(string uri)
    {
        if (!OtpAuthUri.TryParse(uri, out OtpAuthUri? parsed))
        {
            return false;
        }
        parsed.Dispose();
        return true;
    }

    private static bool IsEmail(string value)
    {
        int at = value.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == value.LastIndexOf('@') && at < value.Length - 1 && !value.Any(char.IsWhiteSpace);
    }

    private static string Indexed(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");
}
