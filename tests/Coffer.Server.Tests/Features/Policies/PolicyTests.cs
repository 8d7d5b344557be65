using System.Data.Common;
using Coffer.Contracts;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Policies;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Policies;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.Mfa;

namespace Coffer.Server.Tests.Features.Policies;

/// <summary>The organisation's policy document (POLICY.md; docs/adr/0022): defaults, validation, versions, the activity log,
/// live effect, and the root-signed key settings as the SDK verifies them.</summary>
public sealed class PolicyTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task Update_ValidatedVersionedAndLogged(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult owner = await org.SignInOwnerAsync();
        PolicyDocumentResponse defaults = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/policy", Json.PolicyDocumentResponse);
        Assert.Equal((0L, 14, "everyone", 10, 8), (defaults.Version, defaults.Settings.MinPasswordLength, defaults.Settings.RequireMfa,
            defaults.Settings.SessionIdleMinutes, defaults.Settings.SessionAbsoluteHours));
        Assert.Null(defaults.KeySettings);

        foreach (PolicySettingsDto bad in new[]
        {
            defaults.Settings with { MinPasswordLength = 8 },
            defaults.Settings with { RequireMfa = "nobody" },
            defaults.Settings with { MfaKinds = ["sms"] },
            defaults.Settings with { ActivityLogRetentionDays = 30 },
            defaults.Settings with { KnownNetworks = ["10.0.0.1/8"] },
            defaults.Settings with { StepUpActions = ["change_email"] },
        })
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => PutAsync(owner, 0, bad));
            Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type));
        }

        PolicyDocumentResponse written = await PutAsync(owner, 0, defaults.Settings with { LockoutThreshold = 5, KnownNetworks = ["192.0.2.0/24"] });
        Assert.Equal(1, written.Version);
        CofferApiException stale = await Assert.ThrowsAsync<CofferApiException>(() => PutAsync(owner, 0, defaults.Settings));
        Assert.Equal((409, ErrorTypes.PolicyChanged), (stale.Status, stale.Type));
        Assert.Equal(2, (await PutAsync(owner, 1, written.Settings with { TravelModeAllowed = true })).Version);

        AuditEventRow[] changes = [.. (await MfaTests.EventsAsync(org)).Where(e => e.Action == AuditActions.PolicyUpdate)];
        Assert.Equal(["{\"version\":1,\"changed\":\"knownNetworks lockoutThreshold\"}", "{\"version\":2,\"changed\":\"travelModeAllowed\"}"],
            changes.Select(e => e.Details));
    }

    [Theory, BothEngines]
    public async Task Update_SessionIdleAndRememberedDevices_TakeEffectWithoutRestart(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.FromUnixTimeSeconds(1_900_000_005));
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        using SignInResult owner = await org.SignInOwnerAsync();
        PolicyDocumentResponse current = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/policy", Json.PolicyDocumentResponse);
        await PutAsync(owner, 0, current.Settings with { SessionIdleMinutes = 2, MfaRememberDeviceDays = 0 });

        clock.Advance(TimeSpan.FromMinutes(3));
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => owner.Session.SendAsync(HttpMethod.Get, "/api/v1/policy", Json.PolicyDocumentResponse));
        // No device is remembered any more: the device that enrolled is asked for a factor again.
        using SignInResult again = await SignIn.SignInAsync(org.Connection, TestOrganisation.OwnerEmail, TestOrganisation.Password,
            TestOrganisation.Setup.SecretKey, "0190a1b2-0000-7000-8000-00000000d001", new Contracts.Auth.DeviceInfoDto("Test laptop", "linux-cli", "0.1.0"),
            TestOrganisation.Policy);
        Assert.True(again.Mfa.Required);
    }

    [Theory, BothEngines]
    public async Task KeySettings_SignedByTheRoot_SdkRefusesForgedUnsignedOrOlder(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult signIn, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using (signIn)
        using (keys)
        {
            PolicyClient policies = new(signIn.Session, keys);
            OrganisationPolicy unsigned = await policies.GetAsync();
            Assert.Equal((PolicyClient.KeyDefaults, 0L), (unsigned.KeySettings, unsigned.KeySettingsVersion));

            OrganisationPolicy first = await policies.UpdateAsync(0, unsigned.Settings, new KeyPolicySettingsDto(false, "everyone", 2));
            Assert.Equal((1L, "everyone", 2), (first.KeySettingsVersion, first.KeySettings.ConfirmWithSas, first.KeySettings.RecoveryQuorum));
            OrganisationPolicy second = await policies.UpdateAsync(1, unsigned.Settings, new KeyPolicySettingsDto(false, "admins", 3));
            Assert.Equal(2L, keys.Pins.KeyPolicyVersion);

            // The server checks the root's signature too: a body changed after signing is refused.
            CofferApiException forgedWrite = await Assert.ThrowsAsync<CofferApiException>(() => signIn.Session.SendAsync(HttpMethod.Put, "/api/v1/policy",
                new PolicyUpdateRequest(2, second.Settings, second.SignedKeySettings! with { Version = 3, Body = "{\"webSigning\":true,\"confirmWithSas\":\"off\",\"recoveryQuorum\":1}" }),
                Json.PolicyUpdateRequest, Json.PolicyDocumentResponse));
            Assert.Equal(ErrorTypes.ValidationFailed, forgedWrite.Type);

            // A server that serves an older signed version, a forged body or nothing at all is not believed.
            await SetKeyColumnsAsync(org, first.SignedKeySettings);
            Assert.Equal(ProvenanceFailure.Mismatch, (await Assert.ThrowsAsync<ProvenanceException>(() => policies.GetAsync())).Failure);
            await SetKeyColumnsAsync(org, second.SignedKeySettings! with { Body = "{\"webSigning\":true,\"confirmWithSas\":\"off\",\"recoveryQuorum\":1}" });
            Assert.Equal(ProvenanceFailure.BadSignature, (await Assert.ThrowsAsync<ProvenanceException>(() => policies.GetAsync())).Failure);
            await SetKeyColumnsAsync(org, null);
            Assert.Equal(ProvenanceFailure.Mismatch, (await Assert.ThrowsAsync<ProvenanceException>(() => policies.GetAsync())).Failure);
            await SetKeyColumnsAsync(org, second.SignedKeySettings);
            Assert.Equal("admins", (await policies.GetAsync()).KeySettings.ConfirmWithSas);
        }
    }

    private static Task<PolicyDocumentResponse> PutAsync(SignInResult owner, long expected, PolicySettingsDto settings) =>
        owner.Session.SendAsync(HttpMethod.Put, "/api/v1/policy", new PolicyUpdateRequest(expected, settings), Json.PolicyUpdateRequest, Json.PolicyDocumentResponse);

    /// <summary>What a lying server could serve: the key columns replaced behind the API (and its cache dropped).</summary>
    private static async Task SetKeyColumnsAsync(TestOrganisation org, SignedPolicyDto? key)
    {
        await using (DbConnection c = await org.Database.Database.OpenAsync(default))
        {
            await c.ExecAsync(null, """
                UPDATE organisation_policy SET key_version = @version, key_body = @body, key_issued_at = @issuedAt, key_signature = @signature WHERE id = 1
                """, new
            {
                version = key?.Version,
                body = key?.Body,
                issuedAt = key?.IssuedAt,
                signature = key is null ? null : Protocol.Encoding.Base64Url.Decode(key.Signature),
            }, default);
        }
        org.Server.Services.GetRequiredService<Server.Features.Policies.PolicyStore>().Invalidate();
    }
}
