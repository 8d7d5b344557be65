using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Policies;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Policies;

/// <summary>The organisation's policy as this client verified it.</summary>
/// <param name="Version">The document's version (name it when writing).</param>
/// <param name="Settings">What the server enforces.</param>
/// <param name="KeySettings">The key-related settings this client acts on: the root-signed ones, or the safe defaults when none were signed.</param>
/// <param name="KeySettingsVersion">The signed key settings' version; 0 when none were signed (the defaults apply).</param>
/// <param name="SignedKeySettings">The signed key settings exactly as served, to send back unchanged with a write; null when none.</param>
public sealed record OrganisationPolicy(long Version, PolicySettingsDto Settings, KeyPolicySettingsDto KeySettings, long KeySettingsVersion,
    SignedPolicyDto? SignedKeySettings);

/// <summary>
/// The organisation's policy document (POLICY.md; docs/adr/0022). The key-related settings (<c>web_signing</c>,
/// <c>confirm_with_sas</c>, the recovery quorum) are acted on by clients, so this client believes them only when the
/// organisation root signed them (PROTOCOL.md §5.2 <c>policy</c>, kind <c>key_settings</c>) and their version is not older
/// than the one pinned in the account's pins; unsigned, the safe defaults apply. Writing needs <c>manage_policies</c>;
/// changing key settings needs the root, which only Owners hold.
/// </summary>
public sealed class PolicyClient
{
    /// <summary>The policy kind of the key-related settings.</summary>
    public const string KeySettingsKind = "key_settings";

    /// <summary>The key-related defaults (POLICY.md): no signing in served pages, SAS for administrators' confirmations, quorum 1.</summary>
    public static readonly KeyPolicySettingsDto KeyDefaults = new(WebSigning: false, ConfirmWithSas: "admins", RecoveryQuorum: 1);

    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;
    private readonly UnlockedAccount _account;
    private readonly TimeProvider _clock;

    /// <summary>The policy for <paramref name="account"/>, signed in as <paramref name="session"/>.</summary>
    public PolicyClient(CofferSession session, UnlockedAccount account, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(account);
        _session = session;
        _account = account;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Fetches the document and verifies its key settings; a verified version moves the account's pin forward (seal and store the pins afterwards).</summary>
    /// <exception cref="ProvenanceException">The key settings are not the root's, not this organisation's, or older than the version pinned.</exception>
    public async Task<OrganisationPolicy> GetAsync(CancellationToken cancellationToken = default)
    {
        PolicyDocumentResponse served = await _session.SendAsync(HttpMethod.Get, "/api/v1/policy", Json.PolicyDocumentResponse, cancellationToken)
            .ConfigureAwait(false);
        return Verify(served);
    }

    /// <summary>
    /// Writes <paramref name="settings"/> over version <paramref name="expectedVersion"/>; when <paramref name="keySettings"/> is given
    /// and differs from the current ones, signs them with the root as the next version.
    /// </summary>
    /// <exception cref="InvalidOperationException">Key settings change but this account does not hold the root (only Owners do).</exception>
    /// <exception cref="CofferApiException">409 <c>policy-changed</c>; 400 <c>validation-failed</c> (the errors name the settings); 403.</exception>
    public async Task<OrganisationPolicy> UpdateAsync(long expectedVersion, PolicySettingsDto settings, KeyPolicySettingsDto? keySettings = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        OrganisationPolicy current = await GetAsync(cancellationToken).ConfigureAwait(false);
        SignedPolicyDto? signed = current.SignedKeySettings;
        if (keySettings is not null && keySettings != current.KeySettings)
        {
            signed = SignKeySettings(keySettings, current);
        }
        PolicyDocumentResponse written = await _session.SendAsync(HttpMethod.Put, "/api/v1/policy", new PolicyUpdateRequest(expectedVersion, settings, signed),
            Json.PolicyUpdateRequest, Json.PolicyDocumentResponse, cancellationToken).ConfigureAwait(false);
        return Verify(written);
    }

    /// <summary>The root's signature over <paramref name="keySettings"/> as the version after <paramref name="current"/>'s.</summary>
    private SignedPolicyDto SignKeySettings(KeyPolicySettingsDto keySettings, OrganisationPolicy current)
    {
        EcdsaP256PrivateKey root = _account.RootKey
            ?? throw new InvalidOperationException("This account does not hold the organisation's root key: only Owners change the key-related settings.");
        string body = JsonSerializer.Serialize(keySettings, Json.KeyPolicySettingsDto);
        long version = Math.Max(current.KeySettingsVersion, _account.Pins.KeyPolicyVersion) + 1;
        long issuedAt = Math.Max(_clock.GetUtcNow().ToUnixTimeMilliseconds(), (current.SignedKeySettings?.IssuedAt ?? 0) + 1);
        PolicyTbs record = new(_account.Trust.OrgId, KeySettingsKind, version, Sha256Hash.FromBytes(SHA256.HashData(Encoding.UTF8.GetBytes(body))), issuedAt);
        return new SignedPolicyDto(KeySettingsKind, version, body, issuedAt, Base64Url.Encode(Signing.SignPolicy(root, record)));
    }

    private OrganisationPolicy Verify(PolicyDocumentResponse served)
    {
        const string What = "organisation's key-related policy";
        if (!string.Equals(served.OrgId, _account.Trust.OrgId, StringComparison.Ordinal))
        {
            throw new ProvenanceException(ProvenanceFailure.WrongOrganisation, "the " + What);
        }
        if (served.KeySettings is not { } signed)
        {
            if (_account.Pins.KeyPolicyVersion > 0)
            {
                // Signed settings were seen before: their absence now is a rollback, and the defaults would weaken them.
                throw new ProvenanceException(ProvenanceFailure.Mismatch,
                    $"the {What} (the server serves none, but version {_account.Pins.KeyPolicyVersion} was verified before)");
            }
            return new OrganisationPolicy(served.Version, served.Settings, KeyDefaults, 0, null);
        }
        KeyPolicySettingsDto? body = null;
        bool verifies = string.Equals(signed.Kind, KeySettingsKind, StringComparison.Ordinal)
            && Base64Url.TryDecode(signed.Signature, out byte[]? signature) && signature.Length == EcdsaP256.SignatureSize
            && TryRecord(signed, out PolicyTbs? record) && _account.Trust.VerifyPolicy(record!, signature)
            && TryBody(signed.Body, out body);
        if (!verifies)
        {
            throw new ProvenanceException(ProvenanceFailure.BadSignature, $"the {What} version {signed.Version}");
        }
        if (_account.Pins.ObserveKeyPolicyVersion(signed.Version) == PinCheck.Conflict)
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch,
                $"the {What} version {signed.Version} (older than version {_account.Pins.KeyPolicyVersion}, verified before)");
        }
        return new OrganisationPolicy(served.Version, served.Settings, body!, signed.Version, signed);
    }

    private bool TryRecord(SignedPolicyDto signed, out PolicyTbs? record)
    {
        try
        {
            record = new PolicyTbs(_account.Trust.OrgId, signed.Kind, signed.Version, Sha256Hash.FromBytes(SHA256.HashData(Encoding.UTF8.GetBytes(signed.Body))),
                signed.IssuedAt);
            return true;
        }
        catch (ArgumentException)
        {
            record = null;
            return false;
        }
    }

    private static bool TryBody(string body, out KeyPolicySettingsDto? settings)
    {
        try
        {
            settings = JsonSerializer.Deserialize(body, Json.KeyPolicySettingsDto);
            return settings is not null;
        }
        catch (JsonException)
        {
            settings = null;
            return false;
        }
    }
}
