using Coffer.Protocol.WebAuthn;

namespace Coffer.Protocol.Tests.WebAuthn;

// CollectedClientData, WebAuthn L2 §5.8.1.
public class CollectedClientDataTests
{
    [Fact]
    public void Parse_BrowserShape_ReadsMembers()
    {
        CollectedClientData data = Parse("""{"type":"webauthn.get","challenge":"AAECAwQFBgcICQoLDA0ODw","origin":"http://localhost:8443","crossOrigin":false,"other_keys_can_be_added_here":"x","tokenBinding":{"status":"present","id":"AQ"}}""");

        Assert.Equal(CollectedClientData.TypeGet, data.Type);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(), data.Challenge.ToArray());
        Assert.Equal("http://localhost:8443", data.Origin);
        Assert.False(data.CrossOrigin);
    }

    [Fact]
    public void Parse_CrossOriginTrue_Read()
    {
        Assert.True(Parse("""{"type":"webauthn.get","challenge":"AA","origin":"o","crossOrigin":true}""").CrossOrigin);
    }

    [Fact]
    public void Parse_CrossOriginAbsent_False()
    {
        Assert.False(Parse("""{"type":"webauthn.get","challenge":"AA","origin":"o"}""").CrossOrigin);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"webauthn.get\"")]
    [InlineData("{\"type\":\"webauthn.get\",\"challenge\":\"AA\",\"origin\":\"o\"")]
    [InlineData("""{"challenge":"AA","origin":"o"}""")]
    [InlineData("""{"type":"webauthn.get","origin":"o"}""")]
    [InlineData("""{"type":"webauthn.get","challenge":"AA"}""")]
    [InlineData("""{"type":1,"challenge":"AA","origin":"o"}""")]
    [InlineData("""{"type":"webauthn.get","challenge":null,"origin":"o"}""")]
    [InlineData("""{"type":"webauthn.get","challenge":"AA==","origin":"o"}""")]
    [InlineData("""{"type":"webauthn.get","challenge":"A+/A","origin":"o"}""")]
    [InlineData("""{"type":"webauthn.get","challenge":"AA","origin":"o","crossOrigin":"false"}""")]
    [InlineData("""{"type":"webauthn.get","challenge":"AA","origin":"o","crossOrigin":0}""")]
    [InlineData("""{"type":"webauthn.get","type":"webauthn.create","challenge":"AA","origin":"o"}""")]
    [InlineData("""{"type":"webauthn.get","challenge":"AA","origin":"o","origin":"p"}""")]
    [InlineData("""{"type":"webauthn.get","challenge":"AA","origin":"o",}""")]
    [InlineData("""{"type":"webauthn.get","challenge":"AA","origin":"o"} {}""")]
    [InlineData("""/* c */{"type":"webauthn.get","challenge":"AA","origin":"o"}""")]
    public void Parse_Malformed_Refused(string json)
    {
        Assert.Throws<WebAuthnFormatException>(() => Parse(json));
    }

    [Fact]
    public void Parse_InvalidUtf8_Refused()
    {
        byte[] json = [.. System.Text.Encoding.UTF8.GetBytes("""{"type":"webauthn.get","challenge":"AA","origin":"""), 0x22, 0xff, 0x22, 0x7d];
        Assert.Throws<WebAuthnFormatException>(() => CollectedClientData.Parse(json));
    }

    private static CollectedClientData Parse(string json) => CollectedClientData.Parse(System.Text.Encoding.UTF8.GetBytes(json));
}
