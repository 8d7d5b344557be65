using System.Text.Json;
using Coffer.Protocol.Encoding;

namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// The client data a browser signs over (WebAuthn L2 §5.8.1, <c>CollectedClientData</c>), parsed from
/// clientDataJSON: <c>type</c>, <c>challenge</c> (base64url without padding), <c>origin</c> and the
/// optional <c>crossOrigin</c>. Other members (<c>tokenBinding</c>, <c>topOrigin</c>, anything a
/// browser adds) are ignored, as §5.8.1.2 tells relying parties to do.
/// </summary>
/// <remarks>
/// The JSON must be one object with no duplicate members (a duplicate would let two readers see two
/// different values). Comparisons with expected values are left to <see cref="WebAuthnRelyingParty"/>.
/// </remarks>
public sealed class CollectedClientData
{
    /// <summary>The <c>type</c> of a registration ceremony.</summary>
    public const string TypeCreate = "webauthn.create";

    /// <summary>The <c>type</c> of an authentication ceremony.</summary>
    public const string TypeGet = "webauthn.get";

    private static readonly JsonDocumentOptions Strict = new()
    {
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 8,
    };

    private readonly byte[] _challenge;

    private CollectedClientData(string type, byte[] challenge, string origin, bool crossOrigin)
    {
        Type = type;
        _challenge = challenge;
        Origin = origin;
        CrossOrigin = crossOrigin;
    }

    /// <summary>The ceremony type, <see cref="TypeCreate"/> or <see cref="TypeGet"/> when genuine.</summary>
    public string Type { get; }

    /// <summary>The decoded challenge.</summary>
    public ReadOnlySpan<byte> Challenge => _challenge;

    /// <summary>The origin the browser saw, e.g. <c>https://coffer.example</c>.</summary>
    public string Origin { get; }

    /// <summary>True only when <c>crossOrigin</c> was present and true.</summary>
    public bool CrossOrigin { get; }

    /// <summary>Parses clientDataJSON.</summary>
    /// <exception cref="WebAuthnFormatException">Not one JSON object with string type, challenge and origin, a
    /// base64url challenge and a boolean crossOrigin when present.</exception>
    public static CollectedClientData Parse(ReadOnlySpan<byte> clientDataJson)
    {
        // The JSON reader leaves string contents unchecked until they are read; check all of it first.
        if (!System.Text.Unicode.Utf8.IsValid(clientDataJson))
        {
            throw new WebAuthnFormatException("clientDataJSON is not valid UTF-8.");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(clientDataJson.ToArray(), Strict);
        }
        catch (JsonException e)
        {
            throw new WebAuthnFormatException("clientDataJSON is not valid JSON.", e);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new WebAuthnFormatException("clientDataJSON is not a JSON object.");
            }
            string type = RequiredString(root, "type");
            string challengeText = RequiredString(root, "challenge");
            string origin = RequiredString(root, "origin");
            if (!Base64Url.TryDecode(challengeText, out byte[]? challenge))
            {
                throw new WebAuthnFormatException("clientDataJSON challenge is not base64url.");
            }
            bool crossOrigin = false;
            if (root.TryGetProperty("crossOrigin", out JsonElement cross))
            {
                crossOrigin = cross.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new WebAuthnFormatException("clientDataJSON crossOrigin is not a boolean."),
                };
            }
            return new CollectedClientData(type, challenge, origin, crossOrigin);
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new WebAuthnFormatException($"clientDataJSON has no string \"{name}\".");
}
