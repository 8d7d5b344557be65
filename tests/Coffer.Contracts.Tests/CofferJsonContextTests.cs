using System.Text.Json;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Common;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;

namespace Coffer.Contracts.Tests;

public class CofferJsonContextTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Fact]
    public void Serialize_UsesCamelCaseNamesOfProtocolSection3()
    {
        AuthStartRequest request = new("ada@example.org", "ABC234", "0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b",
            new DeviceInfoDto("Laptop", "linux-cli", "0.1.0"));
        string text = JsonSerializer.Serialize(request, Json.AuthStartRequest);
        Assert.Equal("{\"email\":\"ada@example.org\",\"accountId\":\"ABC234\",\"deviceId\":\"0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b\",\"deviceInfo\":{\"name\":\"Laptop\",\"platform\":\"linux-cli\",\"clientVersion\":\"0.1.0\"}}", text);
        Assert.Equal(request with { DeviceInfo = request.DeviceInfo }, JsonSerializer.Deserialize(text, Json.AuthStartRequest));

        AuthStartResponse response = new("a", "m", new KdfDto("coffer/2skd/v1", "AAAAAAAAAAAAAAAAAAAAAA", 650000));
        Assert.Equal("{\"authId\":\"a\",\"memberId\":\"m\",\"kdf\":{\"alg\":\"coffer/2skd/v1\",\"salt\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"iterations\":650000}}",
            JsonSerializer.Serialize(response, Json.AuthStartResponse));
    }

    [Theory]
    [InlineData("{\"authId\":\"a\",\"m1\":\"x\",\"extra\":1}")]   // unknown member
    [InlineData("{\"authId\":\"a\"}")]                            // missing member
    [InlineData("{\"authId\":\"a\",\"m1\":null}")]                // null where a string is required
    [InlineData("{\"authId\":\"a\",\"m1\":5}")]                   // wrong type
    [InlineData("{\"authId\":\"a\",\"m1\":\"x\",}")]              // trailing comma
    [InlineData("{\"authId\":\"a\",/*c*/\"m1\":\"x\"}")]          // comment
    public void Deserialize_MalformedRequest_Throws(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, Json.AuthVerifyRequest));

    [Fact]
    public void Deserialize_NumberAsString_IsRefused() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"protocolVersion\":\"1\",\"serverVersion\":\"x\"}", Json.MetaResponse));

    [Fact]
    public void Envelope_RejectsUnknownMembers()
    {
        Assert.NotNull(JsonSerializer.Deserialize("{\"kid\":\"k\",\"enc\":\"A256GCM\",\"iv\":\"i\",\"data\":\"d\"}", Json.EnvelopeDto));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"kid\":\"k\",\"enc\":\"A256GCM\",\"iv\":\"i\",\"data\":\"d\",\"aad\":\"x\"}", Json.EnvelopeDto));
    }

    [Fact]
    public void ErrorTypes_AreUniqueStablePaths()
    {
        string[] values = typeof(ErrorTypes).GetFields()
            .Where(f => f.IsLiteral && f.Name != nameof(ErrorTypes.Prefix))
            .Select(f => (string)f.GetRawConstantValue()!).ToArray();
        Assert.NotEmpty(values);
        Assert.Equal(values.Length, values.Distinct(StringComparer.Ordinal).Count());
        Assert.All(values, v => Assert.Matches("^/errors/[a-z]+(-[a-z]+)*$", v));
    }

    [Fact]
    public void NullableMembers_AreWrittenAsNullAndReadBack()
    {
        // Every constructor parameter is required on read, so a null that is omitted on write would never read back.
        RevocationListDto list = new(1, 2, [], null, "c2ln");
        string json = JsonSerializer.Serialize(list, Json.RevocationListDto);
        Assert.Contains("\"issuerId\":null", json, StringComparison.Ordinal);
        Assert.Equal(json, JsonSerializer.Serialize(JsonSerializer.Deserialize(json, Json.RevocationListDto), Json.RevocationListDto));

        EnvelopeDto envelope = new("k", "A256GCM", "aQ", "ZA");
        KeysetDto group = new("id", 1, "ZQ", "cw", null, envelope, envelope);
        string keyset = JsonSerializer.Serialize(group, Json.KeysetDto);
        Assert.Contains("\"sealedSymmetricKey\":null", keyset, StringComparison.Ordinal);
        Assert.Null(JsonSerializer.Deserialize(keyset, Json.KeysetDto)!.SealedSymmetricKey);
    }

    [Fact]
    public void Problem_WithMembersOmitted_IsRead()
    {
        ProblemDto? problem = JsonSerializer.Deserialize("{\"type\":\"/errors/not-found\",\"status\":404}", Json.ProblemDto);
        Assert.Equal(new ProblemDto("/errors/not-found", null, 404, null, null), problem);
    }
}
