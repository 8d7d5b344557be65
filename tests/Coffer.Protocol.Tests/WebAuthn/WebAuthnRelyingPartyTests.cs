using Coffer.Protocol.WebAuthn;

namespace Coffer.Protocol.Tests.WebAuthn;

public class WebAuthnRelyingPartyTests
{
    [Theory]
    [InlineData("http://localhost:8443")]
    [InlineData("https://coffer.example")]
    [InlineData("https://coffer.example:8443")]
    public void Constructor_BareOrigin_Accepted(string origin)
    {
        WebAuthnRelyingParty rp = new("localhost", origin);
        Assert.Equal(origin, rp.Origin);
    }

    [Theory]
    [InlineData("https://coffer.example/")]
    [InlineData("https://coffer.example/login")]
    [InlineData("https://coffer.example?x=1")]
    [InlineData("ftp://coffer.example")]
    [InlineData("coffer.example")]
    [InlineData("HTTPS://coffer.example")]
    [InlineData("")]
    public void Constructor_NotABareOrigin_Throws(string origin)
    {
        Assert.ThrowsAny<ArgumentException>(() => new WebAuthnRelyingParty("coffer.example", origin));
    }

    [Fact]
    public void Constructor_EmptyRpId_Throws()
    {
        Assert.ThrowsAny<ArgumentException>(() => new WebAuthnRelyingParty(" ", "https://coffer.example"));
    }

    [Fact]
    public void VerifyRegistration_ShortExpectedChallenge_Throws()
    {
        WebAuthnRelyingParty rp = new("localhost", "http://localhost:8443");
        Assert.Throws<ArgumentException>(() => rp.VerifyRegistration([0xa0], [], new byte[15], false));
    }

    [Fact]
    public void VerifyAssertion_NullKey_Throws()
    {
        WebAuthnRelyingParty rp = new("localhost", "http://localhost:8443");
        Assert.Throws<ArgumentNullException>(() => rp.VerifyAssertion([], [], [], new byte[16], null!, 0, false));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a0")]
    [InlineData("a363666d74646e6f6e656761747453746d74a068617574684461746140")] // {fmt: none, attStmt: {}, authData: h''}
    [InlineData("ff")]
    public void VerifyRegistration_GarbageAttestationObject_Malformed(string hex)
    {
        JsonFixture fixture = new("es256-none");
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);

        WebAuthnRegistrationResult result = rp.VerifyRegistration(Convert.FromHexString(hex), fixture.Bytes("clientDataJSON"),
            fixture.Bytes("challenge"), false);

        Assert.Equal(WebAuthnFailure.Malformed, result.Failure);
    }

    [Fact]
    public void VerifyAssertion_GarbageClientData_Malformed()
    {
        JsonFixture fixture = new("es256-none");
        WebAuthnRelyingParty rp = new(WebAuthnFixtures.RpId, WebAuthnFixtures.Origin);

        WebAuthnAssertionResult result = rp.VerifyAssertion(new byte[37], "{"u8, [], fixture.Bytes("challenge"),
            CoseKey.Parse(fixture.Bytes("credentialPublicKey")), 0, false);

        Assert.Equal(WebAuthnFailure.Malformed, result.Failure);
    }

    private sealed class JsonFixture(string name)
    {
        private readonly System.Text.Json.JsonElement _fixture = WebAuthnFixtures.Get("registrations", name);

        public byte[] Bytes(string field) => WebAuthnFixtures.Bytes(_fixture, field);
    }
}
