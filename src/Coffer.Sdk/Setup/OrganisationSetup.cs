using Coffer.Contracts.Keys;
using Coffer.Contracts.Setup;
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
using Coffer.Sdk.Ids;
using Coffer.Sdk.Keys;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Setup;

/// <summary>
/// First run (ARCHITECTURE.md, Flows; PROTOCOL.md §1, §2, §5.1): everything the organisation and
/// its first Owner need is made on this device, so the server receives only public keys,
/// certificates, a verifier and sealed or wrapped keys. In order: ids (UUIDv7), the account id and
/// Secret Key, 2SKD parameters and the SRP verifier, the Owner's keyset sealed by the AUK, the
/// organisation root, the Owner's issuer key (role admin, 90 days) and member certificate, the five
/// built-in groups with their certificates, the signed wraps of every group key (to the Owner and
/// to the managing groups, docs/adr/0006), the root key sealed by the Owners group key, the issuer
/// key sealed by the Owner's keyset key, revocation list version 1 (empty, root-signed), and — when the caller passes the
/// server's audit key from <c>GET /api/v1/setup</c> (<see cref="ReadAuditKey"/>) — the root's certificate of that key
/// (docs/adr/0016), so the activity log is signed by a certified key from the start.
/// </summary>
public static class OrganisationSetup
{
    /// <summary>How long the first issuer certificate is valid: the most §5.1 allows.</summary>
    public static readonly TimeSpan IssuerValidity = OrganisationTrust.MaximumIssuerValidity;

    /// <summary>Makes the organisation and its first Owner.</summary>
    /// <param name="details">Organisation name, Owner email and name, sign-in address.</param>
    /// <param name="password">The Owner's new account password; checked against POLICY.md's rules (14 characters, not the email or organisation name).</param>
    /// <param name="setupToken">The server's one-time setup token from the setup link's fragment (base64url).</param>
    /// <param name="clock">The clock for ids, certificates and the revocation list.</param>
    /// <param name="policy">The KDF policy (<see cref="KdfPolicy.Default"/> outside tests).</param>
    /// <param name="iterations">2SKD iterations; at least the policy's floor.</param>
    /// <param name="auditKey">
    /// The server's audit key (DER SPKI, from <see cref="ReadAuditKey"/>) for the new root to certify, or null to leave it for
    /// an Owner to certify after setup (<see cref="Audit.AuditClient.CertifyKeyAsync"/>). The server refuses the setup if it
    /// is not its own key.
    /// </param>
    /// <exception cref="ArgumentException">A detail is missing or malformed, the password breaks a rule (the message says which, never the password), the iterations are below the floor, or the audit key is not a canonical P-256 key.</exception>
    public static OrganisationSetupResult Create(SetupDetails details, string password, string setupToken, TimeProvider clock,
        KdfPolicy policy, int iterations, byte[]? auditKey = null)
    {
        Validate(details, password, setupToken, clock, policy, iterations);
        if (auditKey is not null && (!Fingerprint.TryFromSpki(auditKey, out _, out SpkiAlgorithm algorithm) || algorithm != SpkiAlgorithm.EcP256))
        {
            throw new ArgumentException("The audit key is not a canonical P-256 public key.", nameof(auditKey));
        }
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        string orgId = UuidV7.New(now);
        string memberId = UuidV7.New(now);
        string issuerId = UuidV7.New(now);
        string accountId = SecretKey.GenerateAccountId();
        SecretKey secretKey = SecretKey.Generate(accountId);
        try
        {
            using Builder builder = new(orgId, memberId, issuerId, accountId, now);
            KdfParameters kdf = KdfParameters.CreateNew(iterations);
            (byte[] verifier, SealedKeyset sealedKeyset) = builder.SealOwner(password, secretKey, kdf, policy);
            SetupRequest request = new(
                setupToken,
                new SetupOrganisationDto(details.OrganisationName.Trim(), WireMapper.ToDto(builder.Root),
                    WireMapper.ToDto(builder.SignRevocationList()), WireMapper.ToDto(builder.SealRootKey()),
                    auditKey is null ? null : WireMapper.ToDto(builder.CertifyAuditKey(auditKey))),
                new SetupOwnerDto(memberId, details.OwnerEmail.Trim(), details.OwnerName.Trim(), WireMapper.ToDto(kdf),
                    Base64Url.Encode(verifier), WireMapper.ToDto(sealedKeyset), WireMapper.ToDto(builder.OwnerCertificate),
                    WireMapper.ToDto(builder.Issuer), WireMapper.ToDto(builder.SealIssuerKey())),
                builder.GroupDtos(),
                builder.SignWraps());
            Fingerprint organisation = builder.Root.Record.RootFpr;
            EmergencyKit kit = new(details.OrganisationName.Trim(), details.SignInAddress, details.OwnerEmail.Trim(), secretKey.Format(),
                accountId, organisation);
            RememberedAccount account = new(orgId, memberId, details.OwnerEmail.Trim(), accountId, organisation, iterations);
            return new OrganisationSetupResult(request, kit, secretKey, account);
        }
        catch
        {
            secretKey.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The server's audit key from <c>GET /api/v1/setup</c>, for <see cref="Create"/> to certify. Show its fingerprint to the
    /// person setting up, who can compare it with the one the server logged at start.
    /// </summary>
    /// <exception cref="CofferProtocolException">The answer carries no audit key, or not a canonical P-256 key.</exception>
    public static byte[] ReadAuditKey(SetupStatusResponse status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (status.AuditKey is null || !Base64Url.TryDecode(status.AuditKey, out byte[]? spki)
            || !Fingerprint.TryFromSpki(spki, out Fingerprint fingerprint, out SpkiAlgorithm algorithm) || algorithm != SpkiAlgorithm.EcP256
            || !string.Equals(status.AuditKeyFingerprint, fingerprint.ToString(), StringComparison.Ordinal))
        {
            throw WireMapper.Malformed("setup status", "the audit key is missing, not a canonical P-256 key, or not the one its fingerprint names");
        }
        return spki;
    }

    private static void Validate(SetupDetails details, string password, string setupToken, TimeProvider clock, KdfPolicy policy, int iterations)
    {
        ArgumentNullException.ThrowIfNull(details);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(details.OrganisationName);
        ArgumentException.ThrowIfNullOrWhiteSpace(details.OwnerName);
        ArgumentException.ThrowIfNullOrWhiteSpace(details.OwnerEmail);
        ArgumentNullException.ThrowIfNull(details.SignInAddress);
        string email = details.OwnerEmail.Trim();
        int at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == email.Length - 1 || email.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException("The Owner's email is not an email address.", nameof(details));
        }
        if (!details.SignInAddress.IsAbsoluteUri)
        {
            throw new ArgumentException("The sign-in address is an absolute URL.", nameof(details));
        }
        if (string.IsNullOrEmpty(setupToken) || !Base64Url.TryDecode(setupToken, out _))
        {
            throw new ArgumentException("The setup token is the base64url text from the setup link.", nameof(setupToken));
        }
        string? refusal = policy.Check(KdfPolicy.Algorithm, iterations, null);
        if (refusal is not null)
        {
            throw new ArgumentException("The iteration count is not acceptable: " + refusal, nameof(iterations));
        }
        PasswordRuleResult rules = PasswordRules.Check(password, PasswordRules.DefaultMinimumLength, email, details.OrganisationName);
        if (!rules.IsAcceptable)
        {
            throw new ArgumentException(string.Join(" ", rules.Messages), nameof(password));
        }
    }

    /// <summary>Holds the keys made during setup and zeroes them all at the end.</summary>
    private sealed class Builder : IDisposable
    {
        private readonly string _orgId;
        private readonly string _memberId;
        private readonly string _issuerId;
        private readonly long _now;
        private readonly Keyset _owner;
        private readonly EcdsaP256PrivateKey _rootKey;
        private readonly EcdsaP256PrivateKey _issuerKey;
        private readonly List<(BuiltInGroup Definition, string GroupId, Keyset Keyset, GroupCertificate Certificate)> _groups = [];

        public Builder(string orgId, string memberId, string issuerId, string accountId, long now)
        {
            _orgId = orgId;
            _memberId = memberId;
            _issuerId = issuerId;
            _now = now;
            _owner = Keyset.Generate(UuidV7.New(now));
            (_rootKey, Root) = Signing.CreateOrganisationRoot(orgId, accountId, now);
            _issuerKey = EcdsaP256.GenerateKey();
            Issuer = Signing.CertifyIssuer(_rootKey, orgId, issuerId, IssuerRoles.Admin, memberId, _issuerKey.PublicKey.Spki, now,
                now + (long)IssuerValidity.TotalMilliseconds);
            OwnerCertificate = Signing.CertifyMember(_issuerKey, orgId, issuerId, memberId, BaseGroups.TeamMembers, _owner.KeysetId,
                _owner.Serial, _owner.EncryptionPublicKey, _owner.SigningPublicKey, now);
            foreach (BuiltInGroup definition in BuiltInGroups.All)
            {
                Keyset keyset = Keyset.Generate(UuidV7.New(now));
                string groupId = UuidV7.New(now);
                GroupCertificate certificate = Signing.CertifyGroup(_issuerKey, orgId, issuerId, groupId, definition.Kind, keyset.KeysetId,
                    keyset.Serial, keyset.EncryptionPublicKey, keyset.SigningPublicKey, now);
                _groups.Add((definition, groupId, keyset, certificate));
            }
        }

        public OrganisationRoot Root { get; }

        public IssuerCertificate Issuer { get; }

        public MemberCertificate OwnerCertificate { get; }

        public (byte[] Verifier, SealedKeyset Keyset) SealOwner(string password, SecretKey secretKey, KdfParameters kdf, KdfPolicy policy)
        {
            using DerivedAccountKeys derived = TwoSecretKeyDerivation.Derive(password, secretKey, _memberId, kdf, policy);
            using EnvelopeKey auk = derived.CreateAukKey();
            return (SrpVerifier.Compute(SrpParameters.Coffer, derived.SrpX), _owner.SealWithAuk(auk));
        }

        public RevocationList SignRevocationList() => Signing.SignRevocationList(_rootKey, null, _orgId, 1, _now, []);

        public AuditKeyCertificate CertifyAuditKey(byte[] auditKey) => Signing.CertifyAuditKey(_rootKey, _orgId, auditKey, _now);

        public Envelope SealRootKey()
        {
            Keyset owners = Group(GroupKinds.Owners).Keyset;
            return SigningKeySeal.Seal(owners, SigningKeySeal.RootContext(owners.KeysetId, owners.Serial), _rootKey);
        }

        public Envelope SealIssuerKey() =>
            SigningKeySeal.Seal(_owner, SigningKeySeal.IssuerContext(_owner.KeysetId, _owner.Serial, _issuerId), _issuerKey);

        public GroupKeysDto[] GroupDtos() =>
        [
            .. _groups.Select(g => WireMapper.ToDto(g.GroupId, g.Definition.Kind, g.Definition.Name,
                WireMapper.ToGroupKeysetDto(g.Keyset, g.Keyset.SealPrivateParts()), g.Certificate)),
        ];

        /// <summary>Every group key to the Owner, and to each group that manages it; all signed by the Owner.</summary>
        public SignedWrapDto[] SignWraps()
        {
            List<SignedWrapDto> wraps = [];
            foreach ((BuiltInGroup definition, string groupId, Keyset keyset, GroupCertificate _) in _groups)
            {
                wraps.Add(Wrap(groupId, keyset, _memberId, CertKinds.Member, _owner));
                foreach (string managerKind in definition.ManagedBy)
                {
                    (BuiltInGroup _, string managerId, Keyset manager, GroupCertificate _) = Group(managerKind);
                    wraps.Add(Wrap(groupId, keyset, managerId, CertKinds.Group, manager));
                }
            }
            return [.. wraps];
        }

        private SignedWrapDto Wrap(string groupId, Keyset group, string recipientId, string recipientKind, Keyset recipient)
        {
            byte[] wrapped = group.WrapSymmetricKeyTo(recipient.EncryptionPublicKey);
            SignedWrap signed = Signing.SignWrap(_owner.SigningKey, _memberId, WrapObjectKinds.Group, groupId, group.Serial, recipientId,
                recipient.EncryptionPublicKey, wrapped);
            return WireMapper.ToDto(signed, recipientKind, recipient.Serial);
        }

        private (BuiltInGroup Definition, string GroupId, Keyset Keyset, GroupCertificate Certificate) Group(string kind) =>
            _groups.Single(g => string.Equals(g.Definition.Kind, kind, StringComparison.Ordinal));

        public void Dispose()
        {
            _owner.Dispose();
            _rootKey.Dispose();
            _issuerKey.Dispose();
            foreach ((BuiltInGroup _, string _, Keyset keyset, GroupCertificate _) in _groups)
            {
                keyset.Dispose();
            }
        }
    }
}
