using System.Text.Json;
using Coffer.Protocol.WebAuthn;

namespace Coffer.Protocol.Tests.WebAuthn;

// Every truncation and every bit flip (three masks per byte) of signed fixtures is refused without an
// exception: the strict decoders leave no second encoding of the same content, and the signature
// covers the rest.
public class WebAuthnMutationTests
{
    [Theory]
    [InlineData("es256-packed-self")]
    [InlineData("rs256-packed-self")]
    public void VerifyRegistration_AnyTruncationOrBitFlip_Refused(string name)
    {
        JsonElement fixture = WebAuthnFixtures.Get("registrations", name);
        byte[] attestation = WebAuthnFixtures.Bytes(fixture, "attestationObject");
        byte[] clientData = WebAuthnFixtures.Bytes(fixture, "clientDataJSON");
        byte[] challenge = WebAuthnFixtures.Bytes(fixture, "challenge");
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);
        Assert.True(rp.VerifyRegistration(attestation, clientData, challenge, false).Succeeded);

        for (int length = 0; length < attestation.Length; length++)
        {
            Assert.False(rp.VerifyRegistration(attestation.AsSpan(0, length), clientData, challenge, false).Succeeded);
        }
        foreach (byte[] mutated in Mutations(attestation))
        {
            Assert.False(rp.VerifyRegistration(mutated, clientData, challenge, false).Succeeded);
        }
        foreach (byte[] mutated in Mutations(clientData))
        {
            Assert.False(rp.VerifyRegistration(attestation, mutated, challenge, false).Succeeded);
        }
    }

    [Theory]
    [InlineData("es256")]
    [InlineData("rs256")]
    public void VerifyAssertion_AnyTruncationOrBitFlip_Refused(string name)
    {
        JsonElement fixture = WebAuthnFixtures.Get("assertions", name);
        byte[] authData = WebAuthnFixtures.Bytes(fixture, "authenticatorData");
        byte[] clientData = WebAuthnFixtures.Bytes(fixture, "clientDataJSON");
        byte[] signature = WebAuthnFixtures.Bytes(fixture, "signature");
        byte[] challenge = WebAuthnFixtures.Bytes(fixture, "challenge");
        CoseKey key = CoseKey.Parse(WebAuthnFixtures.Bytes(fixture, "credentialPublicKey"));
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);
        Assert.True(rp.VerifyAssertion(authData, clientData, signature, challenge, key, 0, false).Succeeded);

        for (int length = 0; length < authData.Length; length++)
        {
            Assert.False(rp.VerifyAssertion(authData.AsSpan(0, length), clientData, signature, challenge, key, 0, false).Succeeded);
        }
        foreach (byte[] mutated in Mutations(authData))
        {
            Assert.False(rp.VerifyAssertion(mutated, clientData, signature, challenge, key, 0, false).Succeeded);
        }
        foreach (byte[] mutated in Mutations(clientData))
        {
            Assert.False(rp.VerifyAssertion(authData, mutated, signature, challenge, key, 0, false).Succeeded);
        }
        foreach (byte[] mutated in Mutations(signature))
        {
            Assert.False(rp.VerifyAssertion(authData, clientData, mutated, challenge, key, 0, false).Succeeded);
        }
    }

    private static IEnumerable<byte[]> Mutations(byte[] original)
    {
        foreach (byte mask in new byte[] { 0x01, 0x20, 0x80 })
        {
            for (int i = 0; i < original.Length; i++)
            {
                byte[] copy = (byte[])original.Clone();
                copy[i] ^= mask;
                yield return copy;
            }
        }
    }
}
