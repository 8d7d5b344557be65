using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Mfa;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Kdf;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Devices;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Groups;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Policies;
using Coffer.Sdk.Vaults;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Policies;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.Mfa;

namespace Coffer.Server.Tests.Features.StepUp;

/// <summary>
/// Step-up for privileged actions (POLICY.md "MFA again for important or privileged actions"; docs/adr/0024): each action is
/// refused, changing nothing, when the session's factor is older than the window, and allowed right after stepping up.
/// </summary>
public sealed class StepUpTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly TimeSpan PastTheWindow = TimeSpan.FromMinutes(6);

    [Theory, BothEngines]
    public async Task EveryListedAction_RefusedWithAStaleFactor_AllowedAfterSteppingUp(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);   // certificates the SDK signs carry the real time
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        using TestMember bob = await org.AddMemberAsync(owner, keys, "bob@example.org");
        (await bob.SignInAsync()).Dispose();   // Bob's device, for deauthorising another's device
        owner.Session.StepUpHandler = null;    // the refusals themselves are under test
        using VaultClient vaults = new(owner.Session, keys);
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Step-up");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, "{\"title\":\"x\"}"u8.ToArray(), "{}"u8.ToArray());
        await vaults.TrashItemAsync(vault.Id, item.Id);
        GroupClient groups = new(owner.Session, keys);
        string administrators = (await groups.ListAsync()).Single(g => g.Kind == "administrators").Id;
        PolicyClient policies = new(owner.Session, keys);
        MfaClient mfa = new(owner.Session);
        string bobDevice = Assert.Single(await new DeviceClient(owner.Session).ListForMemberAsync(bob.MemberId)).DeviceId;
        long administratorsBefore = (await groups.GetAsync(administrators)).Group.MemberCount;
        string? secondFactor = null;

        (string Action, Func<Task> Act, Func<Task<bool>> Happened)[] matrix =
        [
            (StepUpActions.ChangePolicies,
                async () =>
                {
                    OrganisationPolicy p = await policies.GetAsync();
                    await policies.UpdateAsync(p.Version, p.Settings with { MinPasswordLength = 16 });
                },
                async () => (await policies.GetAsync()).Settings.MinPasswordLength == 16),
            (StepUpActions.ChangeEmail,
                () => AccountCredentials.RequestEmailChangeAsync(owner.Session, "olive.new@example.org"),
                async () => (await MfaTests.EventsAsync(org)).Any(e => e.Action == AuditActions.EmailChangeRequest && e.Outcome == AuditOutcomes.Success)),
            (StepUpActions.AddAdmin,
                () => groups.AddMemberAsync(administrators, bob.MemberId),
                async () => (await groups.GetAsync(administrators)).Group.MemberCount == administratorsBefore + 1),
            (StepUpActions.BulkExport,
                () => owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/export"),
                async () => (await MfaTests.EventsAsync(org)).Any(e => e.Action == AuditActions.AuditExport && e.Outcome == AuditOutcomes.Success)),
            (StepUpActions.DeauthoriseOtherDevice,
                () => new DeviceClient(owner.Session).DeauthoriseAsync(bobDevice),
                async () => (await new DeviceClient(owner.Session).ListForMemberAsync(bob.MemberId)).Single().RevokedAt is not null),
            (StepUpActions.PermanentDelete,
                () => vaults.DeleteItemAsync(vault.Id, item.Id, 2),
                async () => await ItemGoneAsync(owner, vault.Id, item.Id)),
            (StepUpActions.MfaFactorAdd,
                async () => secondFactor = (await mfa.EnrolTotpAsync("Spare phone")).FactorId,
                async () => (await mfa.ListAsync()).Factors.Count == 2),
            (StepUpActions.MfaFactorRemove,
                () => mfa.RemoveAsync(secondFactor!),
                async () => (await mfa.ListAsync()).Factors.Count == 1),
            (StepUpActions.MfaBackupCodes,
                () => mfa.RegenerateBackupCodesAsync(),
                async () => (await MfaTests.EventsAsync(org)).Count(e => e.Action == AuditActions.MfaBackupCodesRegenerate && e.ActorMemberId == TestOrganisation.OwnerId) == 2),
        ];
        foreach ((string action, Func<Task> act, Func<Task<bool>> happened) in matrix)
        {
            clock.Advance(PastTheWindow);
            CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(act);
            Assert.True((refused.Status, refused.Type) == (403, ErrorTypes.StepUpRequired), $"{action}: {refused.Status} {refused.Type}");
            Assert.Equal((action, 5), (refused.StepUp!.Action, refused.StepUp.WindowMinutes));
            Assert.Equal([MfaKinds.Totp, MfaKinds.BackupCode], refused.StepUp.Methods);
            Assert.False(await happened(), $"{action} happened although refused");

            await mfa.StepUpAsync(org.OwnerAuthenticator, refused.StepUp.Methods);
            await act();
            Assert.True(await happened(), $"{action} did not happen after stepping up");
        }

        List<AuditEventRow> events = await MfaTests.EventsAsync(org);
        foreach ((string action, _, _) in matrix)
        {
            Assert.Contains(events, e => e.Action == AuditActions.StepUp && e.Outcome == AuditOutcomes.Refused
                && e.Details!.Contains($"\"action\":\"{action}\"", StringComparison.Ordinal));
        }
        Assert.Equal(matrix.Length, events.Count(e => e.Action == AuditActions.MfaVerify && e.Outcome == AuditOutcomes.Success
            && e.Details!.Contains("\"stepUp\":true", StringComparison.Ordinal)));
    }

    [Theory, BothEngines]
    public async Task ChangePolicies_RemovedFromTheList_IsStillAsked(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);   // certificates the SDK signs carry the real time
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        owner.Session.StepUpHandler = null;
        PolicyClient policies = new(owner.Session, keys);
        OrganisationPolicy current = await policies.GetAsync();
        await policies.UpdateAsync(current.Version, current.Settings with { MinPasswordLength = 15 });
        // The API refuses such a list (ADR 0022); a document written some other way must not switch step-up off for policies.
        string settings = System.Text.Json.JsonSerializer.Serialize(current.Settings with { StepUpActions = [StepUpActions.PermanentDelete] },
            Json.PolicySettingsDto);
        await org.Database.Database.InTransactionAsync((c, tx) => c.ExecAsync(tx, "UPDATE organisation_policy SET settings = @settings",
            new { settings }, CancellationToken.None), CancellationToken.None);
        org.Server.Services.GetRequiredService<PolicyStore>().Invalidate();
        clock.Advance(PastTheWindow);

        await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/export");   // no longer listed: not asked
        OrganisationPolicy stored = await policies.GetAsync();
        Assert.Equal([StepUpActions.PermanentDelete], stored.Settings.StepUpActions);
        CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() => policies.UpdateAsync(stored.Version, stored.Settings));
        Assert.Equal((ErrorTypes.StepUpRequired, StepUpActions.ChangePolicies), (refused.Type, refused.StepUp?.Action));
        Assert.Equal(stored.Version, (await policies.GetAsync()).Version);
    }

    [Theory, BothEngines]
    public async Task KnownNetwork_LengthensTheWindow_NeverSkipsIt(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);   // certificates the SDK signs carry the real time
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        owner.Session.StepUpHandler = null;
        PolicyClient policies = new(owner.Session, keys);
        OrganisationPolicy current = await policies.GetAsync();
        CofferApiException shorter = await Assert.ThrowsAsync<CofferApiException>(() => policies.UpdateAsync(current.Version, current.Settings with
        {
            StepUpWindowMinutes = 10,
            KnownNetworks = ["127.0.0.0/8"],
            KnownNetworkStepUpWindowMinutes = 5,
        }));
        Assert.Equal(ErrorTypes.ValidationFailed, shorter.Type);   // a known network may not shorten the window
        await policies.UpdateAsync(current.Version, current.Settings with { KnownNetworks = ["127.0.0.0/8"], KnownNetworkStepUpWindowMinutes = 15 });

        clock.Advance(PastTheWindow);   // past the 5-minute window, inside the known network's 15
        await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/export");
        clock.Advance(PastTheWindow);   // 12 minutes
        await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/export");
        clock.Advance(TimeSpan.FromMinutes(5));   // 17 minutes: past both (each step shorter than the session's idle timeout)
        CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/export"));
        Assert.Equal((ErrorTypes.StepUpRequired, 15), (refused.Type, refused.StepUp?.WindowMinutes));

        OrganisationPolicy known = await policies.GetAsync();
        await mfa(owner).StepUpAsync(org.OwnerAuthenticator, refused.StepUp!.Methods);
        await policies.UpdateAsync(known.Version, known.Settings with { KnownNetworks = ["192.0.2.0/24"] });
        clock.Advance(PastTheWindow);   // the caller is no longer inside a known network: 5 minutes again
        refused = await Assert.ThrowsAsync<CofferApiException>(() => owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/export"));
        Assert.Equal(5, refused.StepUp?.WindowMinutes);

        static MfaClient mfa(SignInResult s) => new(s.Session);
    }

    [Theory, BothEngines]
    public async Task WrongCode_DoesNotStepUp_AndEachCodeWorksOnce(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);   // certificates the SDK signs carry the real time
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        using SignInResult owner = await org.SignInOwnerAsync();
        owner.Session.StepUpHandler = null;
        MfaClient mfa = new(owner.Session);
        clock.Advance(PastTheWindow);
        string code = org.OwnerAuthenticator.CodeAt(clock.GetUtcNow());
        CofferApiException wrong = await Assert.ThrowsAsync<CofferApiException>(() => mfa.VerifyAsync(MfaKinds.Totp, code == "000000" ? "111111" : "000000"));
        Assert.Equal(ErrorTypes.MfaFailed, wrong.Type);
        await AssertStepUpRequiredAsync(owner);

        await mfa.VerifyAsync(MfaKinds.Totp, code);   // a satisfied session presents a factor again: its factor time moves
        await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/export");
        clock.Advance(PastTheWindow - TimeSpan.FromMinutes(2));   // 4 minutes later, the same step is not offered again…
        CofferApiException reused = await Assert.ThrowsAsync<CofferApiException>(() => mfa.VerifyAsync(MfaKinds.Totp, code));
        Assert.Equal(ErrorTypes.MfaFailed, reused.Type);
        clock.Advance(TimeSpan.FromMinutes(2));
        await AssertStepUpRequiredAsync(owner);   // …and did not step up
    }

    [Theory, BothEngines]
    public async Task MemberWithoutFactor_StepsUpWithAFreshSrpProof(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);   // certificates the SDK signs carry the real time
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        PolicyClient policies = new(owner.Session, keys);
        OrganisationPolicy current = await policies.GetAsync();
        await policies.UpdateAsync(current.Version, current.Settings with { RequireMfa = PolicyValues.RequireMfaAdmins });
        using TestMember carol = await org.AddMemberAsync(owner, keys, "carol@example.org");
        using SignInResult signIn = await carol.SignInAsync();
        Assert.False(signIn.Mfa.Required);
        signIn.Session.StepUpHandler = null;

        // Her sign-in was an SRP proof: fresh for the window.
        await AccountCredentials.RequestEmailChangeAsync(signIn.Session, "carol.first@example.org");
        clock.Advance(PastTheWindow);
        CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.RequestEmailChangeAsync(signIn.Session, "carol.second@example.org"));
        Assert.Equal((ErrorTypes.StepUpRequired, StepUpActions.ChangeEmail), (refused.Type, refused.StepUp?.Action));
        Assert.Equal([StepUpActions.SrpMethod], refused.StepUp!.Methods);
        Assert.True(refused.StepUp.BySrp);

        // A proof from the wrong password confirms nothing: the action is still refused, and the failure is counted and logged.
        using (DerivedAccountKeys wrong = TwoSecretKeyDerivation.Derive("not carol's password at all 42", carol.SecretKey, carol.MemberId, signIn.Kdf,
            TestOrganisation.Policy))
        {
            CofferApiException wrongProof = await Assert.ThrowsAsync<CofferApiException>(() => new MfaClient(signIn.Session).StepUpWithSrpAsync(wrong, signIn.Kdf));
            Assert.Equal(ErrorTypes.SignInFailed, wrongProof.Type);
        }
        CofferApiException stillRefused = await Assert.ThrowsAsync<CofferApiException>(() =>
            AccountCredentials.RequestEmailChangeAsync(signIn.Session, "carol.second@example.org"));
        Assert.Equal(ErrorTypes.StepUpRequired, stillRefused.Type);
        Assert.Contains(await MfaTests.EventsAsync(org), e => e.Action == AuditActions.StepUp && e.Outcome == AuditOutcomes.Failure
            && e.ActorMemberId == carol.MemberId);

        // The SDK steps up and retries once when the session has a handler.
        signIn.Session.StepUpHandler = new MfaStepUp(null, () => (signIn.AccountKeys, signIn.Kdf));
        await AccountCredentials.RequestEmailChangeAsync(signIn.Session, "carol.second@example.org");

        List<AuditEventRow> events = await MfaTests.EventsAsync(org);
        Assert.Contains(events, e => e.Action == AuditActions.StepUp && e.Outcome == AuditOutcomes.Success && e.Details == "{\"kind\":\"srp\"}"
            && e.ActorMemberId == carol.MemberId);
        Assert.Equal(2, events.Count(e => e.Action == AuditActions.EmailChangeRequest && e.Outcome == AuditOutcomes.Success && e.ActorMemberId == carol.MemberId));

        // A member with a factor cannot step up by SRP instead of it.
        CofferApiException withFactor = await Assert.ThrowsAsync<CofferApiException>(() =>
            new MfaClient(owner.Session).StepUpWithSrpAsync(owner.AccountKeys, owner.Kdf));
        Assert.Equal(ErrorTypes.MemberState, withFactor.Type);
    }

    [Theory, BothEngines]
    public async Task SdkSession_WithAHandler_StepsUpAndRetriesTheRefusedRequestOnce(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);   // certificates the SDK signs carry the real time
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        using SignInResult owner = await org.SignInOwnerAsync();
        CountingHandler counting = new(new MfaStepUp(org.OwnerAuthenticator));
        owner.Session.StepUpHandler = counting;
        clock.Advance(PastTheWindow);

        IReadOnlyList<string> codes = await new MfaClient(owner.Session).RegenerateBackupCodesAsync();
        Assert.Equal(10, codes.Count);
        Assert.Equal([StepUpActions.MfaBackupCodes], counting.Actions);
        await new MfaClient(owner.Session).RegenerateBackupCodesAsync();   // fresh now: nothing asked
        Assert.Single(counting.Actions);

        // A handler that does not step up: the retry is refused as well and that refusal is what the caller sees.
        clock.Advance(PastTheWindow);
        owner.Session.StepUpHandler = new CountingHandler(null);
        CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() => new MfaClient(owner.Session).RegenerateBackupCodesAsync());
        Assert.Equal(ErrorTypes.StepUpRequired, refused.Type);
        Assert.Single(((CountingHandler)owner.Session.StepUpHandler).Actions);
    }

    private static async Task<bool> ItemGoneAsync(SignInResult signIn, string vaultId, string itemId)
    {
        try
        {
            await signIn.Session.SendAsync(HttpMethod.Get, $"/api/v1/vaults/{vaultId}/items/{itemId}", Json.ItemDto);
            return false;
        }
        catch (CofferApiException e) when (e.Status == 404)
        {
            return true;
        }
    }

    private static async Task AssertStepUpRequiredAsync(SignInResult signIn)
    {
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/export"));
        Assert.Equal((403, ErrorTypes.StepUpRequired), (e.Status, e.Type));
    }

    private sealed class CountingHandler(IStepUpHandler? inner) : IStepUpHandler
    {
        public List<string> Actions { get; } = [];

        public async Task StepUpAsync(Sdk.Http.CofferSession session, StepUpChallenge challenge, CancellationToken cancellationToken)
        {
            Actions.Add(challenge.Action);
            if (inner is not null)
            {
                await inner.StepUpAsync(session, challenge, cancellationToken);
            }
        }
    }
}
