using System.Security.Cryptography;
using Coffer.Protocol.WebAuthn;

namespace Coffer.Protocol.Tests.WebAuthn;

// Authenticator data layout: WebAuthn L2 §6.1 (flags, counter) and §6.5.1 (attested credential data).
public class AuthenticatorDataTests
{
    private static readonly byte[] RpIdHash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("localhost"));

    [Fact]
    public void Parse_FixtureRegistration_ReadsEveryPart()
    {
        JsonFixture fixture = new("registrations", "es256-none-extensions");
        AuthenticatorData data = AuthenticatorData.Parse(fixture.AuthData);

        Assert.Equal(RpIdHash, data.RpIdHash.ToArray());
        Assert.Equal(AuthenticatorFlagBits.UserPresent | AuthenticatorFlagBits.AttestedCredentialData | AuthenticatorFlagBits.ExtensionData, data.Flags);
        Assert.True(data.UserPresent);
        Assert.False(data.UserVerified);
        Assert.Equal(0u, data.SignCount);
        Assert.Equal(fixture.Bytes("credentialId"), data.AttestedCredential!.CredentialId.ToArray());
        Assert.Equal(fixture.Bytes("credentialPublicKey"), data.AttestedCredential.CredentialPublicKey.ToArray());
        Assert.Equal(2, data.Extensions!.Required("credProtect").ToInt64());
    }

    [Fact]
    public void Parse_AssertionShape_HasNoCredentialData()
    {
        AuthenticatorData data = AuthenticatorData.Parse(Header(0x05, 0x01020304));
        Assert.True(data.UserVerified);
        Assert.Equal(0x01020304u, data.SignCount);
        Assert.Null(data.AttestedCredential);
        Assert.Null(data.Extensions);
    }

    [Fact]
    public void Parse_BackupFlags_Read()
    {
        AuthenticatorData data = AuthenticatorData.Parse(Header(0x19, 0));
        Assert.Equal(AuthenticatorFlagBits.UserPresent | AuthenticatorFlagBits.BackupEligible | AuthenticatorFlagBits.BackedUp, data.Flags);
    }

    [Fact]
    public void Parse_MaximumCredentialId_Accepted()
    {
        AuthenticatorData data = AuthenticatorData.Parse([.. Header(0x41, 0), .. Attested(new byte[1023], ValidKey())]);
        Assert.Equal(1023, data.AttestedCredential!.CredentialId.Length);
    }

    public static TheoryData<string, byte[]> Refused()
    {
        byte[] key = ValidKey();
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "36 bytes", Header(0x01, 0)[..36] },
            { "trailing byte", [.. Header(0x01, 0), 0] },
            { "AT set, nothing follows", Header(0x41, 0) },
            { "AT set, AAGUID truncated", [.. Header(0x41, 0), .. new byte[10]] },
            { "AT set, credential id length missing", [.. Header(0x41, 0), .. new byte[16]] },
            { "empty credential id", [.. Header(0x41, 0), .. Attested([], key)] },
            { "credential id of 1024 bytes", [.. Header(0x41, 0), .. Attested(new byte[1024], key)] },
            { "credential id longer than the data", [.. Header(0x41, 0), .. new byte[16], 0x00, 0x40, 1, 2, 3] },
            { "credential key missing", [.. Header(0x41, 0), .. new byte[16], 0x00, 0x01, 7] },
            { "credential key truncated", [.. Header(0x41, 0), .. Attested([7], key)[..^1]] },
            { "credential key not a map", [.. Header(0x41, 0), .. new byte[16], 0x00, 0x01, 7, .. CborBytes.Array()] },
            { "credential key unsupported", [.. Header(0x41, 0), .. new byte[16], 0x00, 0x01, 7, .. CborBytes.Map(CborBytes.Int(1), CborBytes.Int(1), CborBytes.Int(3), CborBytes.Int(-8))] },
            { "trailing byte after the key", [.. Header(0x41, 0), .. Attested([7], key), 0] },
            { "extensions without ED", [.. Header(0x41, 0), .. Attested([7], key), .. CborBytes.Map()] },
            { "ED set, no extensions", Header(0x81, 0) },
            { "ED set, extensions not a map", [.. Header(0x81, 0), .. CborBytes.Int(1)] },
            { "ED set, trailing byte after extensions", [.. Header(0x81, 0), .. CborBytes.Map(), 0] },
            { "ED set, extensions not canonical", [.. Header(0x81, 0), .. CborBytes.Map(CborBytes.Text("b"), CborBytes.Int(1), CborBytes.Text("a"), CborBytes.Int(1))] },
            { "BS without BE", Header(0x11, 0) },
        };
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Parse_Malformed_Refused(string why, byte[] data)
    {
        Assert.False(string.IsNullOrEmpty(why));
        Assert.Throws<WebAuthnFormatException>(() => AuthenticatorData.Parse(data));
    }

    private static byte[] Header(byte flags, uint signCount) =>
        [.. RpIdHash, flags, (byte)(signCount >> 24), (byte)(signCount >> 16), (byte)(signCount >> 8), (byte)signCount];

    private static byte[] Attested(byte[] credentialId, byte[] key) =>
        [.. new byte[16], (byte)(credentialId.Length >> 8), (byte)credentialId.Length, .. credentialId, .. key];

    private static byte[] ValidKey() =>
        WebAuthnFixtures.Bytes(WebAuthnFixtures.Get("registrations", "es256-none"), "credentialPublicKey");

    private sealed class JsonFixture(string list, string name)
    {
        private readonly System.Text.Json.JsonElement _fixture = WebAuthnFixtures.Get(list, name);

        public byte[] AuthData => Cbor.Decode(Bytes("attestationObject")).Required("authData").ToByteArray();

        public byte[] Bytes(string field) => WebAuthnFixtures.Bytes(_fixture, field);
    }
}
