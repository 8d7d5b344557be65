using Coffer.Contracts.Members;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Generators;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Protocol.Srp;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Ids;
using Coffer.Sdk.Setup;
using Coffer.Sdk.Vaults;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Members;

/// <summary>
/// Accepting an invitation (PROTOCOL.md §8, §1, §2): the organisation fingerprint is pinned from the link,
/// the organisation root the server presents must match it, and then — on this device — the Secret Key
/// (the organisation's account id), 2SKD parameters, SRP verifier and the member's keyset sealed by the AUK
/// are made and posted with the token, with — unless the invitation names Guests — the member's personal vault: a new
/// vault key, its sealed attributes and the key wrapped to the new keyset, signed by that keyset's own signing key
/// (docs/adr/0011: no certificate names it yet; this client checks the signature against the certified key at every
/// unlock once the member is confirmed). The member is then <c>pending_confirmation</c> until an administrator
/// certifies their keys and wraps group keys to them.
/// </summary>
public static class InvitationAcceptance
{
    /// <summary>The name sealed into a new member's personal vault attributes.</summary>
    public const string PersonalVaultName = "Personal";

    /// <summary>Accepts the invitation <paramref name="link"/> names.</summary>
    /// <param name="connection">A connection to the server the link names.</param>
    /// <param name="link">The parsed invitation link.</param>
    /// <param name="password">The new account password; checked against POLICY.md's rules and the organisation's minimum length.</param>
    /// <param name="clock">The clock for ids.</param>
    /// <param name="policy">The KDF policy (<see cref="KdfPolicy.Default"/> outside tests).</param>
    /// <param name="iterations">2SKD iterations; at least the policy's floor.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <exception cref="ArgumentException">The password breaks a rule (the message says which, never the password) or the iterations are below the floor.</exception>
    /// <exception cref="ProvenanceException">The server presents an organisation root whose fingerprint is not the link's.</exception>
    /// <exception cref="CofferApiException">The server refused (a used, expired or unknown token is 403).</exception>
    public static async Task<InvitationAcceptanceResult> AcceptAsync(CofferConnection connection, InvitationLink link, string password,
        TimeProvider clock, KdfPolicy policy, int iterations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(policy);
        string? refusal = policy.Check(KdfPolicy.Algorithm, iterations, null);
        if (refusal is not null)
        {
            throw new ArgumentException("The iteration count is not acceptable: " + refusal, nameof(iterations));
        }

        InvitationLookupResponse invitation = await connection.PostAsync("/api/v1/invitations/lookup", new InvitationLookupRequest(link.Token),
            CofferConnection.Json.InvitationLookupRequest, CofferConnection.Json.InvitationLookupResponse, cancellationToken).ConfigureAwait(false);
        OrganisationRoot root = WireMapper.ToOrganisationRoot(invitation.Root);
        if (OrganisationTrust.Establish(link.OrganisationFingerprint, root) is null)
        {
            throw new ProvenanceException(ProvenanceFailure.FingerprintMismatch,
                "the organisation's signing key (it is not the one whose fingerprint is in your invitation link)");
        }
        if (!string.Equals(root.Record.OrgId, invitation.OrgId, StringComparison.Ordinal)
            || !string.Equals(root.Record.AccountId, invitation.AccountId, StringComparison.Ordinal))
        {
            throw new ProvenanceException(ProvenanceFailure.Mismatch, "the organisation's signing key (it names another organisation or account id)");
        }
        // The policy's minimum is not signed: a server may raise it but never take it below the client's own floor.
        int minimumLength = Math.Max(PasswordRules.DefaultMinimumLength, invitation.MinPasswordLength);
        PasswordRuleResult rules = PasswordRules.Check(password, minimumLength, invitation.Email, invitation.OrganisationName);
        if (!rules.IsAcceptable)
        {
            throw new ArgumentException(string.Join(" ", rules.Messages), nameof(password));
        }

        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        SecretKey secretKey = SecretKey.Generate(invitation.AccountId);
        try
        {
            KdfParameters kdf = KdfParameters.CreateNew(iterations);
            using Keyset keyset = Keyset.Generate(UuidV7.New(now));
            byte[] verifier;
            SealedKeyset sealedKeyset;
            using (DerivedAccountKeys derived = TwoSecretKeyDerivation.Derive(password, secretKey, invitation.MemberId, kdf, policy))
            using (EnvelopeKey auk = derived.CreateAukKey())
            {
                verifier = SrpVerifier.Compute(SrpParameters.Coffer, derived.SrpX);
                sealedKeyset = keyset.SealWithAuk(auk);
            }
            CreateVaultRequest? personalVault = null;
            if (!string.Equals(invitation.BaseGroup, GroupKinds.Guests, StringComparison.Ordinal))
            {
                using VaultKey vaultKey = VaultKey.Generate(UuidV7.New(now));
                personalVault = VaultClient.NewVaultRequest(vaultKey, "personal", PersonalVaultName, safeForTravel: false, keyset, invitation.MemberId);
            }
            InvitationAcceptRequest request = new(link.Token, WireMapper.ToDto(kdf), Base64Url.Encode(verifier), WireMapper.ToDto(sealedKeyset),
                personalVault);
            await connection.PostAsync("/api/v1/invitations/accept", request, CofferConnection.Json.InvitationAcceptRequest,
                CofferConnection.Json.InvitationAcceptResponse, cancellationToken).ConfigureAwait(false);
            Fingerprint organisation = link.OrganisationFingerprint;
            EmergencyKit kit = new(invitation.OrganisationName, link.ServerUrl, invitation.Email, secretKey.Format(), invitation.AccountId, organisation);
            RememberedAccount account = new(invitation.OrgId, invitation.MemberId, invitation.Email, invitation.AccountId, organisation, iterations);
            Fingerprint encryption = Fingerprint.FromSpki(keyset.EncryptionPublicKey);
            Fingerprint signing = Fingerprint.FromSpki(keyset.SigningPublicKey);
            IReadOnlyList<string> sas = ShortAuthenticationString.Compute(organisation.AsSpan(), invitation.MemberId, encryption.AsSpan(), signing.AsSpan());
            return new InvitationAcceptanceResult(kit, secretKey, account, invitation.BaseGroup, personalVault?.Id, encryption, signing, sas);
        }
        catch
        {
            secretKey.Dispose();
            throw;
        }
    }
}

/// <summary>
/// What accepting an invitation made: the Emergency Kit to print, the Secret Key to store on this device (it is
/// zeroed when this result is disposed) and what the device remembers of the account.
/// </summary>
public sealed class InvitationAcceptanceResult : IDisposable
{
    internal InvitationAcceptanceResult(EmergencyKit emergencyKit, SecretKey secretKey, RememberedAccount account, string baseGroup,
        string? personalVaultId, Fingerprint encryptionFingerprint, Fingerprint signingFingerprint, IReadOnlyList<string> shortAuthenticationString)
    {
        EncryptionFingerprint = encryptionFingerprint;
        SigningFingerprint = signingFingerprint;
        ShortAuthenticationString = shortAuthenticationString;
        EmergencyKit = emergencyKit;
        SecretKey = secretKey;
        Account = account;
        BaseGroup = baseGroup;
        PersonalVaultId = personalVaultId;
    }

    /// <summary>The id of the personal vault made with the account, or null for a guest (who has none).</summary>
    public string? PersonalVaultId { get; }

    /// <summary>The new member's Emergency Kit.</summary>
    public EmergencyKit EmergencyKit { get; }

    /// <summary>The new member's Secret Key.</summary>
    public SecretKey SecretKey { get; }

    /// <summary>What this device remembers of the account (the organisation fingerprint pinned from the link).</summary>
    public RememberedAccount Account { get; }

    /// <summary>The group the invitation names: <c>team_members</c> or <c>guests</c>.</summary>
    public string BaseGroup { get; }

    /// <summary>The fingerprint of the new keyset's encryption key: the confirming administrator's client shows it too.</summary>
    public Fingerprint EncryptionFingerprint { get; }

    /// <summary>The fingerprint of the new keyset's signing key.</summary>
    public Fingerprint SigningFingerprint { get; }

    /// <summary>
    /// The six words (PROTOCOL.md §5.1 "First contact") the confirming administrator's client shows for these keys: keep them,
    /// so the person can read them out when the administrator asks.
    /// </summary>
    public IReadOnlyList<string> ShortAuthenticationString { get; }

    /// <summary>Zeroes the Secret Key.</summary>
    public void Dispose() => SecretKey.Dispose();
}
