using System.Text;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Vaults;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Vaults;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.Mfa;

namespace Coffer.Server.Tests.Features.Vaults;

/// <summary>POLICY.md "Accounting": reveal, copy and one-time-password uses reported by clients become attributed events.</summary>
public sealed class ItemUsageTests
{
    [Theory, BothEngines]
    public async Task Report_UsesInReadableVaultsAreLogged_OthersSkipped_LabelsRefused(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        using VaultClient vaults = new(owner.Session, keys);
        VaultDto vault = await vaults.CreateVaultAsync("shared", "Payroll");
        ItemDto item = await vaults.CreateItemAsync(vault.Id, Encoding.UTF8.GetBytes("{\"v\":1,\"title\":\"Bank\"}"), Encoding.UTF8.GetBytes("{\"v\":1}"));
        using TestMember carol = await org.AddMemberAsync(owner, keys, "carol@example.org");
        using SignInResult carolSignIn = await carol.SignInAsync();
        const long clientTime = 1_900_000_000_000;

        ItemUsageRecorded mine = await ItemUsage.ReportAsync(owner.Session, [
            new ItemUsageDto(vault.Id, item.Id, ItemUsageActions.Reveal, "password", clientTime),
            new ItemUsageDto(vault.Id, item.Id, ItemUsageActions.Copy, null, clientTime + 1),
        ]);
        ItemUsageRecorded notHers = await ItemUsage.ReportAsync(carolSignIn.Session, [new ItemUsageDto(vault.Id, item.Id, ItemUsageActions.Otp, "otp", clientTime)]);
        CofferApiException label = await Assert.ThrowsAsync<CofferApiException>(() =>
            ItemUsage.ReportAsync(owner.Session, [new ItemUsageDto(vault.Id, item.Id, ItemUsageActions.Reveal, "Bank PIN", clientTime)]));
        CofferApiException action = await Assert.ThrowsAsync<CofferApiException>(() =>
            ItemUsage.ReportAsync(owner.Session, [new ItemUsageDto(vault.Id, item.Id, "print", null, clientTime)]));
        CofferApiException none = await Assert.ThrowsAsync<CofferApiException>(() => ItemUsage.ReportAsync(owner.Session, []));
        CofferApiException tooMany = await Assert.ThrowsAsync<CofferApiException>(() => ItemUsage.ReportAsync(owner.Session,
            [.. Enumerable.Repeat(new ItemUsageDto(vault.Id, item.Id, ItemUsageActions.Copy, null, clientTime), ItemUsage.MaxPerReport + 1)]));

        Assert.Equal((2, 0), (mine.Recorded, mine.Skipped));
        Assert.Equal((0, 1), (notHers.Recorded, notHers.Skipped));
        Assert.All([label, action, none, tooMany], e => Assert.Equal((400, ErrorTypes.ValidationFailed), (e.Status, e.Type)));
        List<AuditEventRow> events = [.. (await MfaTests.EventsAsync(org)).Where(e => e.TargetId == item.Id && e.Action is "item.reveal" or "item.copy" or "item.otp")];
        Assert.Equal(["item.reveal", "item.copy"], events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal((owner.Session.MemberId, AuditTargets.Item, AuditOutcomes.Success), (e.ActorMemberId, e.TargetKind, e.Outcome)));
        Assert.Equal($"{{\"vaultId\":\"{vault.Id}\",\"reportedAt\":{clientTime},\"field\":\"password\"}}", events[0].Details);
        Assert.Equal($"{{\"vaultId\":\"{vault.Id}\",\"reportedAt\":{clientTime + 1}}}", events[1].Details);
    }
}
