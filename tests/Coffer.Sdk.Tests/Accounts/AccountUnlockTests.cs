using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Setup;
using Coffer.Sdk.Tests.Support;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Tests.Accounts;

public class AccountUnlockTests(SetupFixture setup) : IClassFixture<SetupFixture>
{
    private static readonly string[] BuiltInKinds =
        [GroupKinds.Owners, GroupKinds.Administrators, GroupKinds.TeamMembers, GroupKinds.Guests, GroupKinds.Recovery];

    private string OrgId => setup.Account.OrgId;

    [Fact]
    public void WithPassword_RightSecrets_OpensFiveGroupsIssuerKeyAndRootKey()
    {
        using UnlockedAccount account = setup.Unlock();
        Assert.Equal(setup.Request.Owner.MemberId, account.MemberId);
        Assert.Equal(BuiltInKinds.Order(StringComparer.Ordinal), account.Groups.Values.Select(g => g.Kind).Order(StringComparer.Ordinal));
        Assert.Equal(5, account.GroupCertificates.Count);
        Assert.Equal(Base64Url.Decode(setup.Request.Owner.Issuer.PublicKey), account.IssuerKey!.PublicKey.ExportSpki());
        Assert.Equal(ProvenanceFailure.None, account.IssuerStatus);
        Assert.Equal(setup.Request.Owner.Issuer.IssuerId, account.IssuerCertificate!.Record.IssuerId);
        Assert.Equal(Base64Url.Decode(setup.Request.Organisation.Root.PublicKey), account.RootKey!.PublicKey.ExportSpki());
        Assert.Equal(OrgId, account.Trust.OrgId);

        // Each opened group keyset really is the certified one: a key wrapped to its certified public key opens.
        foreach (UnlockedGroup group in account.Groups.Values)
        {
            byte[] vaultKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            byte[] wrapped = KeyWrap.Wrap(group.Certificate.EncryptionPublicKey, vaultKey);
            Assert.Equal(vaultKey, KeyWrap.Unwrap(group.Keyset.EncryptionKey, wrapped));
        }
        Assert.Equal("Team Members", account.GroupOfKind(GroupKinds.TeamMembers)!.Name);
    }

    [Fact]
    public void WithPassword_Success_UpdatesPinsAndRememberedIterations()
    {
        Pins before = new();
        using UnlockedAccount account = setup.Unlock(pins: before);
        Assert.Null(before.OrganisationFingerprint);   // the caller's copy is untouched
        Pins pins = account.Pins;
        Assert.Equal(setup.Account.OrganisationFingerprint.ToArray(), pins.OrganisationFingerprint);
        Assert.Equal(SetupFixture.Iterations, pins.LastIterations);
        Assert.Equal(1, pins.RevocationListVersion);
        Assert.Equal(SetupFixture.Iterations, account.Account.LastIterations);
        Assert.NotNull(pins.SubjectKeys(account.MemberId));
        Assert.All(account.Groups.Keys, id => Assert.NotNull(pins.SubjectKeys(id)));
        // The pins from one unlock are consistent with the next.
        using UnlockedAccount again = setup.Unlock(pins: pins);
        Assert.Equal(5, again.Groups.Count);
    }

    [Fact]
    public void Dispose_LocksEveryKey()
    {
        UnlockedAccount account = setup.Unlock();
        UnlockedGroup owners = account.GroupOfKind(GroupKinds.Owners)!;
        account.Dispose();
        Assert.Throws<ObjectDisposedException>(() => account.Keyset);
        Assert.Throws<ObjectDisposedException>(() => account.RootKey);
        Assert.Throws<ObjectDisposedException>(() => owners.Keyset);
        Assert.Throws<ObjectDisposedException>(() => account.IssuerKey);
    }

    [Fact]
    public void WithAuk_DerivedOnceForSignIn_Unlocks()
    {
        using DerivedAccountKeys derived = AccountKeyDerivation.Derive(SetupFixture.Password, setup.Result.SecretKey, setup.Account.MemberId,
            setup.Kdf, SetupFixture.Policy);
        using EnvelopeKey auk = derived.CreateAukKey();
        using UnlockedAccount account = AccountUnlock.WithAuk(setup.Keys, auk, setup.Kdf.Iterations, setup.Account, new Pins(), SetupFixture.Clock);
        Assert.Equal(5, account.Groups.Count);
    }

    [Fact]
    public void WithPassword_WrongPasswordOrSecretKey_FailsWithOneClearError()
    {
        UnlockFailedException wrongPassword = Assert.Throws<UnlockFailedException>(() => setup.Unlock(password: "correct horse battery staple 43"));
        using SecretKey otherKey = SecretKey.Generate(setup.Account.AccountId);
        UnlockFailedException wrongKey = Assert.Throws<UnlockFailedException>(() => AccountUnlock.WithPassword(setup.Keys, setup.Kdf,
            SetupFixture.Password, otherKey, setup.Account, new Pins(), SetupFixture.Clock, SetupFixture.Policy));
        Assert.Equal(wrongPassword.Message, wrongKey.Message);
        Assert.Contains("password or the Secret Key is wrong", wrongPassword.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("correct horse", wrongPassword.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithPassword_SecretKeyOfAnotherOrganisation_SaysSo()
    {
        string otherAccountId = setup.Account.AccountId == "222222" ? "333333" : "222222";
        using SecretKey otherKey = SecretKey.Generate(otherAccountId);
        UnlockFailedException e = Assert.Throws<UnlockFailedException>(() => AccountUnlock.WithPassword(setup.Keys, setup.Kdf,
            SetupFixture.Password, otherKey, setup.Account, new Pins(), SetupFixture.Clock, SetupFixture.Policy));
        Assert.Contains(otherAccountId, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unlock_KdfBelowTheFloor_IsRefusedBeforeAnyWork_Protocol2()
    {
        CofferProtocolException low = Assert.Throws<CofferProtocolException>(() =>
            setup.Unlock(kdf: setup.Kdf with { Iterations = SetupFixture.Iterations - 1 }));
        Assert.Contains("fewer key-derivation iterations than the minimum", low.Message, StringComparison.Ordinal);
        Assert.Throws<CofferProtocolException>(() => setup.Unlock(kdf: setup.Kdf with { Alg = "pbkdf2" }));
        // Below what this device used before: the floor is per device and only goes up.
        Assert.Throws<CofferProtocolException>(() => setup.Unlock(account: setup.Account with { LastIterations = SetupFixture.Iterations + 1 }));
        Pins pins = new();
        pins.ObserveIterations(SetupFixture.Iterations + 1);
        Assert.Throws<CofferProtocolException>(() => setup.Unlock(pins: pins));
        // The production policy refuses the test count outright.
        Assert.Throws<CofferProtocolException>(() => AccountKeyDerivation.Derive(SetupFixture.Password, setup.Result.SecretKey,
            setup.Account.MemberId, setup.Kdf, KdfPolicy.Default));
    }

    [Fact]
    public void Unlock_RootNotMatchingThePinnedFingerprint_IsRefused()
    {
        (EcdsaP256PrivateKey serverRoot, OrganisationRoot forged) = Signing.CreateOrganisationRoot(OrgId, setup.Account.AccountId,
            SetupFixture.Now.ToUnixTimeMilliseconds());
        using (serverRoot)
        {
            ProvenanceException e = Assert.Throws<ProvenanceException>(() => setup.Unlock(setup.Keys with { Root = WireMapper.ToDto(forged) }));
            Assert.Equal(ProvenanceFailure.FingerprintMismatch, e.Failure);
            Assert.Contains("Emergency Kit", e.Message, StringComparison.Ordinal);
            // The same when the device pinned another organisation.
            ProvenanceException other = Assert.Throws<ProvenanceException>(() =>
                setup.Unlock(account: setup.Account with { OrganisationFingerprint = serverRoot.PublicKey.Fingerprint }));
            Assert.Equal(ProvenanceFailure.FingerprintMismatch, other.Failure);
        }
    }

    [Fact]
    public void Unlock_MemberPublicKeySubstituted_IsRefused()
    {
        using Keyset attacker = Keyset.Generate("0190a1b2-0000-7000-8000-0000000000e1");
        string attackerKey = Base64Url.Encode(attacker.EncryptionPublicKey);
        AccountKeysResponse keys = setup.Keys;
        // In the certificate and the keyset alike: the issuer's signature no longer holds.
        ProvenanceException both = Assert.Throws<ProvenanceException>(() => setup.Unlock(keys with
        {
            Certificate = keys.Certificate with { EncryptionPublicKey = attackerKey },
            Keyset = keys.Keyset with { EncryptionPublicKey = attackerKey },
        }));
        Assert.Equal(ProvenanceFailure.BadSignature, both.Failure);
        // In the keyset only: the certificate naming the member does not name its keys (§5.1, every sign-in).
        ProvenanceException keysetOnly = Assert.Throws<ProvenanceException>(() =>
            setup.Unlock(keys with { Keyset = keys.Keyset with { EncryptionPublicKey = attackerKey } }));
        Assert.Equal(ProvenanceFailure.Mismatch, keysetOnly.Failure);
        Assert.Contains("your own keys", keysetOnly.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unlock_GroupCertificateSignedByANonIssuer_IsRefused()
    {
        AccountKeysResponse keys = setup.Keys;
        GroupKeysDto admins = keys.Groups.Single(g => g.Kind == GroupKinds.Administrators);
        GroupCertificate genuine = WireMapper.ToGroupCertificate(admins.Certificate, OrgId, "test");
        using EcdsaP256PrivateKey notIssuer = EcdsaP256.GenerateKey();
        GroupCertTbs r = genuine.Record;
        GroupCertificate forged = Signing.CertifyGroup(notIssuer, OrgId, r.IssuerId, r.GroupId, r.GroupKind, r.KeysetId, r.KeysetSerial,
            genuine.EncryptionPublicKey, genuine.SigningPublicKey, r.IssuedAt);
        ProvenanceException e = Assert.Throws<ProvenanceException>(() => setup.Unlock(keys with { Groups = Replace(keys.Groups, admins, admins with { Certificate = WireMapper.ToDto(forged) }) }));
        Assert.Equal(ProvenanceFailure.BadSignature, e.Failure);
        Assert.Contains("group administrators", e.Message, StringComparison.Ordinal);

        // Signed under an issuer id the server cannot show a certificate for.
        GroupCertificate unknownIssuer = Signing.CertifyGroup(notIssuer, OrgId, "0190a1b2-0000-7000-8000-0000000000f9", r.GroupId, r.GroupKind,
            r.KeysetId, r.KeysetSerial, genuine.EncryptionPublicKey, genuine.SigningPublicKey, r.IssuedAt);
        ProvenanceException unknown = Assert.Throws<ProvenanceException>(() => setup.Unlock(keys with { Groups = Replace(keys.Groups, admins, admins with { Certificate = WireMapper.ToDto(unknownIssuer) }) }));
        Assert.Equal(ProvenanceFailure.WrongSigner, unknown.Failure);
    }

    [Fact]
    public void Unlock_GroupServedWithKeysItsCertificateDoesNotName_IsRefused()
    {
        AccountKeysResponse keys = setup.Keys;
        GroupKeysDto guests = keys.Groups.Single(g => g.Kind == GroupKinds.Guests);
        GroupKeysDto teams = keys.Groups.Single(g => g.Kind == GroupKinds.TeamMembers);
        ProvenanceException e = Assert.Throws<ProvenanceException>(() => setup.Unlock(keys with { Groups = Replace(keys.Groups, guests, guests with { Keyset = teams.Keyset }) }));
        Assert.Equal(ProvenanceFailure.Mismatch, e.Failure);
        ProvenanceException kind = Assert.Throws<ProvenanceException>(() => setup.Unlock(keys with { Groups = Replace(keys.Groups, guests, guests with { Kind = GroupKinds.Owners }) }));
        Assert.Equal(ProvenanceFailure.Mismatch, kind.Failure);
    }

    [Fact]
    public void Unlock_WrapReSignedByAnUncertifiedKey_IsRefused()
    {
        AccountKeysResponse keys = setup.Keys;
        SignedWrapDto wrap = keys.Wraps.First(w => w.RecipientKind == CertKinds.Member);
        Fingerprint ownerEnc = Fingerprint.FromSpki(Base64Url.Decode(keys.Keyset.EncryptionPublicKey));
        using EcdsaP256PrivateKey rogue = EcdsaP256.GenerateKey();
        byte[] signature = WireMapper.ToWireWrap(wrap, "test").ToSignedWrap(ownerEnc).Record.Sign(rogue);
        ProvenanceException e = Assert.Throws<ProvenanceException>(() =>
            setup.Unlock(keys with { Wraps = Replace(keys.Wraps, wrap, wrap with { Signature = Base64Url.Encode(signature) }) }));
        Assert.Equal(ProvenanceFailure.BadSignature, e.Failure);
    }

    [Fact]
    public void Unlock_WrapAlteredByTheServer_IsRefused()
    {
        AccountKeysResponse keys = setup.Keys;
        SignedWrapDto wrap = keys.Wraps.First(w => w.RecipientKind == CertKinds.Member);
        // A key the server chose, wrapped to the member's real public key: the hash the client computes is not the one signed.
        byte[] serverWrap = KeyWrap.Wrap(Base64Url.Decode(keys.Keyset.EncryptionPublicKey), new byte[32]);
        Assert.Equal(ProvenanceFailure.BadSignature, Assert.Throws<ProvenanceException>(() =>
            setup.Unlock(keys with { Wraps = Replace(keys.Wraps, wrap, wrap with { Wrap = Base64Url.Encode(serverWrap) }) })).Failure);
        // Relabelled to another group: the signed record names the group the signer wrapped.
        string otherGroup = keys.Groups.First(g => g.GroupId != wrap.ObjectId).GroupId;
        Assert.Equal(ProvenanceFailure.BadSignature, Assert.Throws<ProvenanceException>(() =>
            setup.Unlock(keys with { Wraps = Replace(keys.Wraps, wrap, wrap with { ObjectId = otherGroup }) })).Failure);
        // A key serial other than the one the group certificate names: refused before any signature is checked.
        Assert.Equal(ProvenanceFailure.Mismatch, Assert.Throws<ProvenanceException>(() =>
            setup.Unlock(keys with { Wraps = Replace(keys.Wraps, wrap, wrap with { KeySerial = 2 }) })).Failure);
        // Addressed to an older keyset of the member.
        Assert.Equal(ProvenanceFailure.Mismatch, Assert.Throws<ProvenanceException>(() =>
            setup.Unlock(keys with { Wraps = Replace(keys.Wraps, wrap, wrap with { RecipientKeysetSerial = 2 }) })).Failure);
    }

    [Fact]
    public void Unlock_WrapClaimingASignerWithoutACertificate_IsRefused()
    {
        AccountKeysResponse keys = setup.Keys;
        SignedWrapDto wrap = keys.Wraps.First(w => w.RecipientKind == CertKinds.Member);
        ProvenanceException e = Assert.Throws<ProvenanceException>(() =>
            setup.Unlock(keys with { Wraps = Replace(keys.Wraps, wrap, wrap with { SignerId = "0190a1b2-0000-7000-8000-0000000000aa" }) }));
        Assert.Equal(ProvenanceFailure.WrongSigner, e.Failure);
    }

    [Fact]
    public void Unlock_GroupsReachableOnlyThroughTheOwnersGroup_StillOpen()
    {
        AccountKeysResponse keys = setup.Keys;
        string owners = keys.Groups.Single(g => g.Kind == GroupKinds.Owners).GroupId;
        // Only the Owners key is wrapped to the member; the others are reached through the Owners group's wraps.
        SignedWrapDto[] wraps = [.. keys.Wraps.Where(w => w.RecipientKind == CertKinds.Group || w.ObjectId == owners)];
        using UnlockedAccount account = setup.Unlock(keys with { Wraps = wraps });
        Assert.Equal(5, account.Groups.Count);
        Assert.NotNull(account.RootKey);
    }

    [Fact]
    public void Unlock_OlderRevocationList_IsRefused()
    {
        using UnlockedAccount first = setup.Unlock();
        RevocationList newer = Signing.SignRevocationList(first.RootKey!, null, OrgId, 2, SetupFixture.Now.ToUnixTimeMilliseconds() + 1000, []);
        AccountKeysResponse keys = setup.Keys;
        using UnlockedAccount second = setup.Unlock(keys with { RevocationList = WireMapper.ToDto(newer) }, first.Pins);
        Assert.Equal(2, second.Pins.RevocationListVersion);
        // The server replays version 1 to a device that has seen version 2.
        ProvenanceException e = Assert.Throws<ProvenanceException>(() => setup.Unlock(keys, second.Pins));
        Assert.Equal(ProvenanceFailure.StaleRevocationList, e.Failure);
        // A list not signed by the root is refused too.
        using EcdsaP256PrivateKey notRoot = EcdsaP256.GenerateKey();
        RevocationList forged = Signing.SignRevocationList(notRoot, null, OrgId, 3, SetupFixture.Now.ToUnixTimeMilliseconds(), []);
        Assert.Equal(ProvenanceFailure.BadSignature,
            Assert.Throws<ProvenanceException>(() => setup.Unlock(keys with { RevocationList = WireMapper.ToDto(forged) })).Failure);
    }

    [Fact]
    public void Unlock_IssuerCertificateNotSignedByTheRoot_IsRefused()
    {
        AccountKeysResponse keys = setup.Keys;
        IssuerCertificate genuine = WireMapper.ToIssuerCertificate(keys.Issuers[0], OrgId, "test");
        using EcdsaP256PrivateKey notRoot = EcdsaP256.GenerateKey();
        IssuerTbs r = genuine.Record;
        IssuerCertificate forged = Signing.CertifyIssuer(notRoot, OrgId, r.IssuerId, r.Role, r.HolderId, genuine.IssuerPublicKey, r.IssuedAt, r.ExpiresAt);
        ProvenanceException e = Assert.Throws<ProvenanceException>(() => setup.Unlock(keys with { Issuers = [WireMapper.ToDto(forged)] }));
        Assert.Equal(ProvenanceFailure.BadSignature, e.Failure);
    }

    [Fact]
    public void WithAuk_IterationsBelowWhatTheDeviceUsed_AreRefused()
    {
        using DerivedAccountKeys derived = AccountKeyDerivation.Derive(SetupFixture.Password, setup.Result.SecretKey, setup.Account.MemberId,
            setup.Kdf, SetupFixture.Policy);
        using EnvelopeKey auk = derived.CreateAukKey();
        Assert.Throws<CofferProtocolException>(() => AccountUnlock.WithAuk(setup.Keys, auk, SetupFixture.Iterations,
            setup.Account with { LastIterations = SetupFixture.Iterations + 1 }, new Pins(), SetupFixture.Clock));
        // From an SSO credential bundle there is no iteration count, and none is remembered.
        using UnlockedAccount account = AccountUnlock.WithAuk(setup.Keys, auk, null, setup.Account, new Pins(), SetupFixture.Clock);
        Assert.Equal(0, account.Pins.LastIterations);
    }

    [Fact]
    public void Unlock_SubjectKeyDifferentFromThePin_IsRefused()
    {
        Pins pins = new();
        pins.CheckSubjectKeys(setup.Account.MemberId, new PinnedKeys(new byte[32], new byte[32], 1));
        ProvenanceException e = Assert.Throws<ProvenanceException>(() => setup.Unlock(pins: pins));
        Assert.Equal(ProvenanceFailure.Mismatch, e.Failure);
    }

    [Fact]
    public void Unlock_AnotherMembersKeys_AreRefused()
    {
        AccountKeysResponse keys = setup.Keys;
        Assert.Throws<CofferProtocolException>(() =>
            setup.Unlock(keys with { Member = keys.Member with { MemberId = "0190a1b2-0000-7000-8000-0000000000bb" } }));
    }

    [Fact]
    public void Unlock_SealedRootKeyThatIsNotTheRoot_IsRefused()
    {
        AccountKeysResponse keys = setup.Keys;
        Assert.Throws<CofferProtocolException>(() => setup.Unlock(keys with { SealedRootKey = keys.SealedIssuerKey }));
        Assert.Throws<CofferProtocolException>(() => setup.Unlock(keys with { SealedIssuerKey = keys.SealedRootKey }));
        // Without the Owners group key, a root key cannot be opened.
        string owners = keys.Groups.Single(g => g.Kind == GroupKinds.Owners).GroupId;
        Assert.Throws<CofferProtocolException>(() => setup.Unlock(keys with { Wraps = [.. keys.Wraps.Where(w => w.ObjectId != owners)] }));
    }

    [Fact]
    public void Unlock_ResponseMalformed_IsAProtocolError()
    {
        AccountKeysResponse keys = setup.Keys;
        CofferProtocolException e = Assert.Throws<CofferProtocolException>(() =>
            setup.Unlock(keys with { Keyset = keys.Keyset with { SealedSymmetricKey = keys.Keyset.SealedSymmetricKey! with { Iv = "AAAAAAAAAAAAAAA=" } } }));
        Assert.Contains("keyset.sealedSymmetricKey", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccountKeysResponse_RoundTripsThroughCofferJsonContext_AndStillUnlocks()
    {
        string json = JsonSerializer.Serialize(setup.Keys, CofferJsonContext.Default.AccountKeysResponse);
        AccountKeysResponse back = JsonSerializer.Deserialize(json, CofferJsonContext.Default.AccountKeysResponse)!;
        Assert.Equal(json, JsonSerializer.Serialize(back, CofferJsonContext.Default.AccountKeysResponse));
        using UnlockedAccount account = setup.Unlock(back);
        Assert.Equal(5, account.Groups.Count);
    }

    [Fact]
    public void SetupAndUnlock_AtTheRealFloor_Work()
    {
        using OrganisationSetupResult result = OrganisationSetup.Create(SetupFixture.Details, SetupFixture.Password, SetupFixture.Token,
            SetupFixture.Clock, KdfPolicy.Default, KdfPolicy.MinimumIterations);
        Assert.Equal(KdfPolicy.MinimumIterations, result.Request.Owner.Kdf.Iterations);
        using UnlockedAccount account = AccountUnlock.WithPassword(ServedKeys.For(result.Request), result.Request.Owner.Kdf, SetupFixture.Password,
            result.SecretKey, result.Account, new Pins(), SetupFixture.Clock);
        Assert.Equal(5, account.Groups.Count);
        Assert.Equal(KdfPolicy.MinimumIterations, account.Pins.LastIterations);
    }

    private static T[] Replace<T>(IReadOnlyList<T> list, T old, T replacement) where T : class =>
        [.. list.Select(x => ReferenceEquals(x, old) ? replacement : x)];
}
