using System.Text.Json;
using Coffer.Contracts.Common;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Server.Common.Errors;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Common.Validation;

/// <summary>
/// Collects what is wrong with a request, field by field, while reading its wire values into
/// typed ones; the answer is one <c>validation-failed</c> problem naming every bad field. Messages
/// describe the rule, never the value (which may be key material or an email).
/// </summary>
internal sealed class RequestValidation
{
    public const int MaxEmailLength = 254;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public void Fail(string field, string message)
    {
        if (!_errors.TryGetValue(field, out List<string>? list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
    }

    public bool Check(bool condition, string field, string message)
    {
        if (!condition)
        {
            Fail(field, message);
        }
        return condition;
    }

    public byte[] Bytes(string field, string? value, int? exactLength = null, int maxLength = 64 * 1024)
    {
        if (value is null || !Base64Url.TryDecode(value, out byte[]? bytes))
        {
            Fail(field, "must be unpadded base64url");
            return [];
        }
        if (exactLength is int n && bytes.Length != n)
        {
            Fail(field, $"must be {n} bytes");
        }
        else if (bytes.Length > maxLength)
        {
            Fail(field, $"must be at most {maxLength} bytes");
        }
        return bytes;
    }

    public string Id(string field, string? value)
    {
        if (!Ids.IsValid(value))
        {
            Fail(field, "must be a lowercase UUID");
            return "";
        }
        return value!;
    }

    public string Text(string field, string? value, int maxLength, bool allowEmpty = false)
    {
        if (value is null || (!allowEmpty && value.Trim().Length == 0))
        {
            Fail(field, "must not be empty");
            return "";
        }
        if (value.Length > maxLength)
        {
            Fail(field, $"must be at most {maxLength} characters");
        }
        if (value.Any(char.IsControl))
        {
            Fail(field, "must not contain control characters");
        }
        return value;
    }

    /// <summary>Checks an email's shape and returns its sign-in key: ASCII letters lower-cased, nothing else changed (PROTOCOL.md §1).</summary>
    public string Email(string field, string? value)
    {
        string text = Text(field, value, MaxEmailLength);
        int at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1 || text.Any(char.IsWhiteSpace))
        {
            Fail(field, "must be an email address");
        }
        return Emails.Normalize(text);
    }

    public Envelope? Envelope(string field, EnvelopeDto? dto, string? expectedKid = null)
    {
        if (dto is null)
        {
            Fail(field, "is required");
            return null;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(dto, Contracts.CofferJsonContext.Default.EnvelopeDto);
        if (!Protocol.Envelopes.Envelope.TryParse(json, out Envelope? envelope) || envelope is null)
        {
            Fail(field, "must be an A256GCM envelope with a 12-byte IV and a 16-byte tag");
            return null;
        }
        if (expectedKid is not null && !string.Equals(envelope.Kid, expectedKid, StringComparison.Ordinal))
        {
            Fail(field, "is sealed under the wrong key id");
        }
        return envelope;
    }

    public ProblemHttpResult ToProblem() =>
        Problems.Of(CofferErrors.ValidationFailed, "Some values are not acceptable; nothing was written.",
            new Dictionary<string, object?> { ["errors"] = _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal) });
}

/// <summary>Ids are lowercase UUIDs (PROTOCOL.md, Conventions); new ones are version 7.</summary>
internal static class Ids
{
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != 36)
        {
            return false;
        }
        for (int i = 0; i < 36; i++)
        {
            char c = value[i];
            bool ok = i is 8 or 13 or 18 or 23 ? c == '-' : c is (>= '0' and <= '9') or (>= 'a' and <= 'f');
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A new UUIDv7 (time-ordered), lowercase.</summary>
    public static string New() => Guid.CreateVersion7().ToString("D");
}

/// <summary>Email handling: an address for mail and a sign-in handle, matched case-insensitively in ASCII only.</summary>
internal static class Emails
{
    public static string Normalize(string email) =>
        string.Create(email.Length, email, static (chars, e) =>
        {
            for (int i = 0; i < e.Length; i++)
            {
                char c = e[i];
                chars[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
            }
        });
}
