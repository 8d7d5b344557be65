using System.Text.Json;
using Coffer.Protocol.WebAuthn;

namespace Coffer.Protocol.Tests.WebAuthn;

// WebAuthn Level 2 §7.1 and §7.2 against the committed fixtures (testdata/webauthn/README.md): each
// verifies or is refused with exactly the reason the fixture names.
public class WebAuthnFixtureTests
{
    public static TheoryData<string> Registrations => WebAuthnFixtures.Names("registrations");

    public static TheoryData<string> Assertions => WebAuthnFixtures.Names("assertions");

    [Theory]
    [MemberData(nameof(Registrations))]
    public void VerifyRegistration_Fixture_GivesExpectedOutcome(string name)
    {
        CheckRegistration(WebAuthnFixtures.Get("registrations", name), WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);
    }

    [Theory]
    [MemberData(nameof(Assertions))]
    public void VerifyAssertion_Fixture_GivesExpectedOutcome(string name)
    {
        CheckAssertion(WebAuthnFixtures.Get("assertions", name), WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);
    }

    [Fact]
    public void MakeFixturesScript_FreshRun_EveryCaseGivesExpectedOutcome()
    {
        // The committed file is one run; a fresh one (new keys, new challenges) must agree too, so the
        // generator and the verifier cannot drift apart unnoticed.
        string output = Path.Combine(Path.GetTempPath(), "coffer-webauthn-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            NodeScript.RunAndAssertSuccess(Path.Combine("webauthn", "make-fixtures.mjs"), output);
            using JsonDocument fresh = JsonDocument.Parse(File.ReadAllBytes(output));
            JsonElement root = fresh.RootElement;
            string rpId = root.GetProperty("rpId").GetString()!;
            string origin = root.GetProperty("origin").GetString()!;
            JsonElement[] registrations = [.. root.GetProperty("registrations").EnumerateArray()];
            JsonElement[] assertions = [.. root.GetProperty("assertions").EnumerateArray()];
            Assert.Equal(WebAuthnFixtures.NameList("registrations").Length, registrations.Length);
            Assert.Equal(WebAuthnFixtures.NameList("assertions").Length, assertions.Length);
            foreach (JsonElement fixture in registrations)
            {
                CheckRegistration(fixture, rpId, origin);
            }
            foreach (JsonElement fixture in assertions)
            {
                CheckAssertion(fixture, rpId, origin);
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Fixtures_CoverEveryRequiredCase()
    {
        // The brief's list: ES256 none, ES256 packed self, RS256 packed self, RS256 none, and each refusal.
        string[] registrations = WebAuthnFixtures.NameList("registrations");
        string[] assertions = WebAuthnFixtures.NameList("assertions");
        Assert.Subset(registrations.ToHashSet(),
            new HashSet<string> { "es256-none", "es256-packed-self", "rs256-packed-self", "rs256-none", "wrong-origin", "wrong-challenge", "wrong-rp-id", "up-missing" });
        Assert.Subset(assertions.ToHashSet(),
            new HashSet<string> { "es256", "rs256", "wrong-origin", "wrong-challenge", "wrong-rp-id", "up-missing", "counter-regression-lower", "es256-bad-signature" });
    }

    [Fact]
    public void VerifyAssertion_SameResponseTwiceWithUpdatedCounter_SecondIsRefused()
    {
        // A replayed assertion carries the counter the first use stored (§6.1.1): refused as a regression.
        JsonElement fixture = WebAuthnFixtures.Get("assertions", "es256");
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);
        CoseKey key = CoseKey.Parse(WebAuthnFixtures.Bytes(fixture, "credentialPublicKey"));
        byte[] authData = WebAuthnFixtures.Bytes(fixture, "authenticatorData");
        byte[] clientData = WebAuthnFixtures.Bytes(fixture, "clientDataJSON");
        byte[] signature = WebAuthnFixtures.Bytes(fixture, "signature");
        byte[] challenge = WebAuthnFixtures.Bytes(fixture, "challenge");

        WebAuthnAssertionResult first = rp.VerifyAssertion(authData, clientData, signature, challenge, key, 0, false);
        WebAuthnAssertionResult second = rp.VerifyAssertion(authData, clientData, signature, challenge, key, first.SignCount, false);

        Assert.True(first.Succeeded);
        Assert.Equal(WebAuthnFailure.CounterRegression, second.Failure);
    }

    [Fact]
    public void VerifyAssertion_TamperedAuthenticatorData_SignatureInvalid()
    {
        JsonElement fixture = WebAuthnFixtures.Get("assertions", "es256");
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);
        byte[] authData = WebAuthnFixtures.Bytes(fixture, "authenticatorData");
        authData[^1] ^= 0x80; // a larger counter than the authenticator signed

        WebAuthnAssertionResult result = rp.VerifyAssertion(authData, WebAuthnFixtures.Bytes(fixture, "clientDataJSON"),
            WebAuthnFixtures.Bytes(fixture, "signature"), WebAuthnFixtures.Bytes(fixture, "challenge"),
            CoseKey.Parse(WebAuthnFixtures.Bytes(fixture, "credentialPublicKey")), 0, false);

        Assert.Equal(WebAuthnFailure.SignatureInvalid, result.Failure);
    }

    [Fact]
    public void VerifyAssertion_KeyOfAnotherAlgorithm_SignatureInvalid()
    {
        JsonElement es256 = WebAuthnFixtures.Get("assertions", "es256");
        JsonElement rs256 = WebAuthnFixtures.Get("assertions", "rs256");
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);

        WebAuthnAssertionResult result = rp.VerifyAssertion(WebAuthnFixtures.Bytes(es256, "authenticatorData"),
            WebAuthnFixtures.Bytes(es256, "clientDataJSON"), WebAuthnFixtures.Bytes(es256, "signature"),
            WebAuthnFixtures.Bytes(es256, "challenge"), CoseKey.Parse(WebAuthnFixtures.Bytes(rs256, "credentialPublicKey")), 0, false);

        Assert.Equal(WebAuthnFailure.SignatureInvalid, result.Failure);
    }

    [Fact]
    public void VerifyRegistration_TruncatedAttestationObject_Malformed()
    {
        JsonElement fixture = WebAuthnFixtures.Get("registrations", "es256-none");
        byte[] attestation = WebAuthnFixtures.Bytes(fixture, "attestationObject");
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);

        WebAuthnRegistrationResult result = rp.VerifyRegistration(attestation.AsSpan(0, attestation.Length - 1),
            WebAuthnFixtures.Bytes(fixture, "clientDataJSON"), WebAuthnFixtures.Bytes(fixture, "challenge"), false);

        Assert.Equal(WebAuthnFailure.Malformed, result.Failure);
    }

    [Fact]
    public void VerifyRegistration_AttestationObjectKeysReordered_Malformed()
    {
        // Same content as a verified fixture, but {authData, fmt, attStmt}: not CTAP2 canonical.
        JsonElement fixture = WebAuthnFixtures.Get("registrations", "es256-none");
        CborValue original = Cbor.Decode(WebAuthnFixtures.Bytes(fixture, "attestationObject"));
        byte[] reordered = CborBytes.Map(
            CborBytes.Text("authData"), original.Required("authData").Encoded.ToArray(),
            CborBytes.Text("fmt"), CborBytes.Text("none"),
            CborBytes.Text("attStmt"), CborBytes.Map());
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);

        WebAuthnRegistrationResult result = rp.VerifyRegistration(reordered, WebAuthnFixtures.Bytes(fixture, "clientDataJSON"),
            WebAuthnFixtures.Bytes(fixture, "challenge"), false);

        Assert.Equal(WebAuthnFailure.Malformed, result.Failure);
    }

    [Fact]
    public void VerifyRegistration_ExtraAttestationObjectMember_Malformed()
    {
        JsonElement fixture = WebAuthnFixtures.Get("registrations", "es256-none");
        CborValue original = Cbor.Decode(WebAuthnFixtures.Bytes(fixture, "attestationObject"));
        byte[] extended = CborBytes.Map(
            CborBytes.Text("fmt"), CborBytes.Text("none"),
            CborBytes.Text("attStmt"), CborBytes.Map(),
            CborBytes.Text("authData"), original.Required("authData").Encoded.ToArray(),
            CborBytes.Text("largeBlobKey"), CborBytes.Bytes(new byte[32]));
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);

        WebAuthnRegistrationResult result = rp.VerifyRegistration(extended, WebAuthnFixtures.Bytes(fixture, "clientDataJSON"),
            WebAuthnFixtures.Bytes(fixture, "challenge"), false);

        Assert.Equal(WebAuthnFailure.Malformed, result.Failure);
    }

    private static void CheckRegistration(JsonElement fixture, string rpId, string origin)
    {
        WebAuthnRelyingParty rp = new(rpId, origin);

        WebAuthnRegistrationResult result = rp.VerifyRegistration(
            WebAuthnFixtures.Bytes(fixture, "attestationObject"),
            WebAuthnFixtures.Bytes(fixture, "clientDataJSON"),
            WebAuthnFixtures.Bytes(fixture, "challenge"),
            fixture.GetProperty("requireUserVerification").GetBoolean());

        string name = fixture.GetProperty("name").GetString()!;
        Assert.True(Enum.Parse<WebAuthnFailure>(fixture.GetProperty("expect").GetString()!) == result.Failure,
            $"registration {name}: expected {fixture.GetProperty("expect").GetString()}, got {result.Failure}");
        if (result.Succeeded)
        {
            RegisteredCredential credential = result.Credential!;
            Assert.Equal(WebAuthnFixtures.Bytes(fixture, "credentialId"), credential.CredentialId.ToArray());
            Assert.Equal(WebAuthnFixtures.Bytes(fixture, "credentialPublicKey"), credential.PublicKey.ToArray());
            Assert.Equal(fixture.GetProperty("signCount").GetUInt32(), credential.SignCount);
            Assert.True(credential.Flags.HasFlag(AuthenticatorFlagBits.UserPresent));
            Assert.Equal(new byte[16], credential.Aaguid.ToArray());
            Assert.Contains(credential.AttestationFormat, new[] { "none", "packed" });
        }
        else
        {
            Assert.Null(result.Credential);
        }
    }

    private static void CheckAssertion(JsonElement fixture, string rpId, string origin)
    {
        WebAuthnRelyingParty rp = new(rpId, origin);
        CoseKey key = CoseKey.Parse(WebAuthnFixtures.Bytes(fixture, "credentialPublicKey"));

        WebAuthnAssertionResult result = rp.VerifyAssertion(
            WebAuthnFixtures.Bytes(fixture, "authenticatorData"),
            WebAuthnFixtures.Bytes(fixture, "clientDataJSON"),
            WebAuthnFixtures.Bytes(fixture, "signature"),
            WebAuthnFixtures.Bytes(fixture, "challenge"),
            key,
            fixture.GetProperty("storedSignCount").GetUInt32(),
            fixture.GetProperty("requireUserVerification").GetBoolean());

        string name = fixture.GetProperty("name").GetString()!;
        Assert.True(Enum.Parse<WebAuthnFailure>(fixture.GetProperty("expect").GetString()!) == result.Failure,
            $"assertion {name}: expected {fixture.GetProperty("expect").GetString()}, got {result.Failure}");
        Assert.Equal(result.Succeeded ? fixture.GetProperty("signCount").GetUInt32() : 0u, result.SignCount);
    }
}
