using System.Security.Cryptography;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Setup;
using Coffer.Crypto.Kdf;
using Coffer.Protocol.Encoding;
using Coffer.Sdk.Setup;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Tests.Features.Setup;

public sealed class SetupRequestFixture : IDisposable
{
    public SetupRequestFixture() =>
        Result = OrganisationSetup.Create(new SetupDetails("Example Ministry", "Owner@Example.org", "Olive Owner", new Uri("http://127.0.0.1:8080")),
            "correct horse battery staple 42", Base64Url.Encode(RandomNumberGenerator.GetBytes(32)), TimeProvider.System,
            KdfPolicy.ForTesting(1000), 1000);

    public OrganisationSetupResult Result { get; }

    public void Dispose() => Result.Dispose();
}

public class SetupValidatorTests(SetupRequestFixture fixture) : IClassFixture<SetupRequestFixture>
{
    private SetupRequest Request => fixture.Result.Request;

    private static RequestValidation Check(SetupRequest request, int minimumIterations = 1000) =>
        SetupValidator.Validate(request, minimumIterations).Validation;

    [Fact]
    public void Validate_RequestMadeByTheSdk_IsAccepted() => Assert.True(Check(Request).IsValid);

    [Fact]
    public void Validate_IterationsBelowTheServersFloor_AreRefused() => Assert.False(Check(Request, minimumIterations: 650_000).IsValid);

    [Fact]
    public void Validate_RootSignatureOfAnotherKey_IsRefused()
    {
        SetupRequest forged = Request with
        {
            Organisation = Request.Organisation with { Root = Request.Organisation.Root with { AccountId = "ZZZZZZ" } },
        };
        Assert.False(Check(forged).IsValid);
    }

    [Fact]
    public void Validate_MemberCertificateForOtherKeys_IsRefused()
    {
        GroupKeysDto other = Request.Groups[1];
        SetupRequest forged = Request with
        {
            Owner = Request.Owner with { Keyset = Request.Owner.Keyset with { EncryptionPublicKey = other.Keyset.EncryptionPublicKey } },
        };
        Assert.False(Check(forged).IsValid);
    }

    [Fact]
    public void Validate_MissingGroupOrExtraWrapRecipient_IsRefused()
    {
        Assert.False(Check(Request with { Groups = Request.Groups.Skip(1).ToList() }).IsValid);
        SignedWrapDto w = Request.Wraps[0];
        Assert.False(Check(Request with { Wraps = [.. Request.Wraps, w with { RecipientId = "0190a1b2-0000-7000-8000-00000000dead" }] }).IsValid);
        Assert.False(Check(Request with { Wraps = [.. Request.Wraps, w with { KeySerial = 2 }] }).IsValid);
    }

    [Fact]
    public void Validate_BadShapes_NameTheField()
    {
        RequestValidation v = Check(Request with
        {
            Token = "not base64url!",
            Owner = Request.Owner with { Email = "no-at-sign", Verifier = "AAAA" },
        });
        Assert.False(v.IsValid);
        string problem = System.Text.Json.JsonSerializer.Serialize(v.ToProblem().ProblemDetails.Extensions["errors"]);
        Assert.Contains("token", problem, StringComparison.Ordinal);
        Assert.Contains("owner.email", problem, StringComparison.Ordinal);
        Assert.Contains("owner.verifier", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("no-at-sign", problem, StringComparison.Ordinal);
    }
}
