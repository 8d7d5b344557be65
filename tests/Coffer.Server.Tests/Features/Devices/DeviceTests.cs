using System.Net;
using System.Security.Cryptography;
using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Devices;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Sessions;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Sessions;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Devices;
using Coffer.Sdk.Errors;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Devices;
using Coffer.Server.Features.Members;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.Sessions;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Tests.Features.Devices;

/// <summary>
/// POLICY.md "Devices, travel and remote working" and PROTOCOL.md §6 ("a sealed response tells its client to wipe local
/// data; an unsealed wipe is ignored"), as ADR 0012 puts them on the wire.
/// </summary>
public sealed class DeviceTests
{
    private const string LaptopId = "0190a1b2-0000-7000-8000-00000000d001";
    private const string PhoneId = "0190a1b2-0000-7000-8000-00000000d002";
    private const string ReplacementId = "0190a1b2-0000-7000-8000-00000000d003";

    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task List_TwoDevices_ShowsBothWithTheCurrentOneMarked(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult laptop = await org.SignInOwnerAsync(deviceId: LaptopId);
        using SignInResult phone = await org.SignInOwnerAsync(deviceId: PhoneId);

        IReadOnlyList<DeviceDto> devices = await new DeviceClient(laptop.Session).ListAsync();

        Assert.Equal([LaptopId, PhoneId], devices.Select(d => d.DeviceId));
        Assert.Equal([true, false], devices.Select(d => d.Current));
        Assert.Equal([1, 1], devices.Select(d => d.ActiveSessions));
        Assert.All(devices, d => Assert.Equal((TestOrganisation.OwnerId, "Test laptop", "linux-cli", "0.1.0", (long?)null),
            (d.MemberId, d.Name, d.Platform, d.ClientVersion, d.RevokedAt)));
        Assert.Equal(PhoneId, (await new DeviceClient(phone.Session).ListAsync()).Single(d => d.Current).DeviceId);
    }

    [Theory, BothEngines]
    public async Task Deauthorise_FromAnotherDevice_WipesItsOpenSessionOnce_ThenPlain401_AndTheFirstKeepsWorking(Engine engine)
    {
        RecordingHandler wire = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: wire);
        using SignInResult a = await org.SignInOwnerAsync(deviceId: LaptopId);
        using SignInResult b = await org.SignInOwnerAsync(deviceId: PhoneId);
        await new DeviceClient(b.Session).ListAsync();

        await new DeviceClient(a.Session).DeauthoriseAsync(PhoneId);

        DeviceDto revoked = (await new DeviceClient(a.Session).ListAsync()).Single(d => d.DeviceId == PhoneId);
        Assert.NotNull(revoked.RevokedAt);
        Assert.Equal(0, revoked.ActiveSessions);
        CofferDeviceWipedException wipe = await Assert.ThrowsAsync<CofferDeviceWipedException>(() =>
            b.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
        Assert.Equal((PhoneId, revoked.RevokedAt), (wipe.DeviceId, (long?)wipe.RevokedAt.ToUnixTimeMilliseconds()));
        Assert.True(b.Session.WipeRequested);
        Assert.True(Envelope.TryParse(wire.LastResponseBody!, out _));
        Assert.DoesNotContain("device-wiped", Encoding.UTF8.GetString(wire.LastResponseBody!), StringComparison.Ordinal);
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => b.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));

        Assert.False(a.Session.WipeRequested);
        SessionListResponse left = await a.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);
        Assert.Equal(a.Session.SessionId, Assert.Single(left.Sessions).SessionId);

        // Deauthorising again changes nothing; the wipe went out once.
        await new DeviceClient(a.Session).DeauthoriseAsync(PhoneId);
        Assert.Equal(revoked.RevokedAt, (await new DeviceClient(a.Session).ListAsync()).Single(d => d.DeviceId == PhoneId).RevokedAt);

        List<AuditEventRow> events = await EventsAsync(org);
        AuditEventRow deauthorised = events.First(e => e.Action == AuditActions.DeviceDeauthorise);
        Assert.Equal((TestOrganisation.OwnerId, LaptopId, a.Session.SessionId, "device", PhoneId, "success"),
            (deauthorised.ActorMemberId, deauthorised.DeviceId, deauthorised.SessionId, deauthorised.TargetKind, deauthorised.TargetId, deauthorised.Outcome));
        Assert.Equal($"{{\"memberId\":\"{TestOrganisation.OwnerId}\",\"sessionsEnded\":1}}", deauthorised.Details);
        AuditEventRow delivered = Assert.Single(events, e => e.Action == AuditActions.DeviceWipe);
        Assert.Equal((TestOrganisation.OwnerId, PhoneId, b.Session.SessionId, "device", PhoneId),
            (delivered.ActorMemberId, delivered.DeviceId, delivered.SessionId, delivered.TargetKind, delivered.TargetId));
    }

    [Theory, BothEngines]
    public async Task WipeAnswer_NeedsTheSessionMac_AForgedRequestGetsAPlain401AndDoesNotSpendIt(Engine engine)
    {
        TamperingHandler proxy = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        using SignInResult a = await org.SignInOwnerAsync(deviceId: LaptopId);
        using SignInResult b = await org.SignInOwnerAsync(deviceId: PhoneId);
        await new DeviceClient(a.Session).DeauthoriseAsync(PhoneId);

        proxy.Tamper = r => r.Auth is not null && r.Auth.Contains(b.Session.SessionId, StringComparison.Ordinal)
            ? r with { Auth = r.Auth[..^2] + (r.Auth[^2] == 'A' ? "BA" : "AA") }
            : r;
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => b.Session.SendAsync(HttpMethod.Get, "/api/v1/devices", Json.DeviceListResponse));
        Assert.False(b.Session.WipeRequested);
        proxy.Tamper = null;

        await Assert.ThrowsAsync<CofferDeviceWipedException>(() => b.Session.SendAsync(HttpMethod.Get, "/api/v1/devices", Json.DeviceListResponse));

        // Replaying the request that got the wipe gets nothing more than a plain 401.
        using HttpResponseMessage replay = await proxy.ReplayAsync(proxy.Sent[^1]);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.False(Envelope.TryParse(await replay.Content.ReadAsByteArrayAsync(), out _));
    }

    [Theory, BothEngines]
    public async Task WipeFromTheNetwork_UnsealedOrSealedUnderAnotherKey_IsNotActedOn(Engine engine)
    {
        TamperingHandler proxy = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        using SignInResult signIn = await org.SignInOwnerAsync(deviceId: LaptopId);
        byte[] words = Encoding.UTF8.GetBytes(
            $"{{\"type\":\"{ErrorTypes.DeviceWiped}\",\"title\":\"This device was deauthorised.\",\"status\":401,\"deviceId\":\"{LaptopId}\",\"revokedAt\":1}}");

        proxy.Forge = _ => Answer(HttpStatusCode.Unauthorized, words, "application/problem+json");
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/devices", Json.DeviceListResponse));
        proxy.Forge = _ => Answer(HttpStatusCode.Gone, words, "application/problem+json");
        await Assert.ThrowsAsync<CofferProtocolException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/devices", Json.DeviceListResponse));
        using (SessionKeys stranger = SessionKeys.Derive(RandomNumberGenerator.GetBytes(32), signIn.Session.SessionId))
        {
            byte[] sealedByStranger = stranger.SealResponse(3, 401, words).ToJsonBytes();
            proxy.Forge = _ => Answer(HttpStatusCode.Unauthorized, sealedByStranger, "application/json");
            await Assert.ThrowsAsync<CofferProtocolException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/devices", Json.DeviceListResponse));
        }
        proxy.Forge = null;

        Assert.False(signIn.Session.WipeRequested);
        Assert.Null(Assert.Single(await new DeviceClient(signIn.Session).ListAsync()).RevokedAt);
    }

    [Theory, BothEngines]
    public async Task SignIn_WithADeauthorisedDeviceId_OnlyGetsTheWipe_ANewDeviceIdWorks(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult a = await org.SignInOwnerAsync(deviceId: LaptopId);
        (await org.SignInOwnerAsync(deviceId: PhoneId)).Dispose();
        await new DeviceClient(a.Session).DeauthoriseAsync(PhoneId);

        // The device comes back later (its session may have lapsed meanwhile) with the password and Secret Key.
        using SignInResult back = await org.SignInOwnerAsync(deviceId: PhoneId);
        await Assert.ThrowsAsync<CofferDeviceWipedException>(() => back.Session.SendAsync(HttpMethod.Get, "/api/v1/devices", Json.DeviceListResponse));
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => back.Session.SendAsync(HttpMethod.Get, "/api/v1/devices", Json.DeviceListResponse));

        using SignInResult renewed = await org.SignInOwnerAsync(deviceId: ReplacementId);
        IReadOnlyList<DeviceDto> devices = await new DeviceClient(renewed.Session).ListAsync();
        Assert.Equal([LaptopId, PhoneId, ReplacementId], devices.Select(d => d.DeviceId));
        Assert.Equal([false, true, false], devices.Select(d => d.RevokedAt is not null));

        AuditEventRow refused = (await EventsAsync(org)).Single(e => e.Action == AuditActions.SignIn && e.SessionId == back.Session.SessionId);
        Assert.Equal(("refused", "{\"reason\":\"device_revoked\"}"), (refused.Outcome, refused.Details));
    }

    [Theory, BothEngines]
    public async Task OthersDevices_ATeamMemberIsRefused_AnAdministratorMayListAndDeauthorise(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember tina = await org.AddMemberAsync(owner, ownerKeys, "tina@example.org");
            using SignInResult member = await tina.SignInAsync();
            DeviceClient tinas = new(member.Session);

            CofferApiException list = await Assert.ThrowsAsync<CofferApiException>(() => tinas.ListForMemberAsync(TestOrganisation.OwnerId));
            CofferApiException others = await Assert.ThrowsAsync<CofferApiException>(() => tinas.DeauthoriseAsync(LaptopId));
            CofferApiException missing = await Assert.ThrowsAsync<CofferApiException>(() => tinas.DeauthoriseAsync("0190a1b2-0000-7000-8000-0000000000ff"));
            Assert.Equal((403, 404, 404), (list.Status, others.Status, missing.Status));
            Assert.Equal(missing.Type, others.Type);
            Assert.Equal(tina.DeviceId, Assert.Single(await tinas.ListAsync()).DeviceId);
            Assert.Null((await new DeviceClient(owner.Session).ListAsync()).Single().RevokedAt);

            DeviceClient admin = new(owner.Session);
            DeviceDto hers = Assert.Single(await admin.ListForMemberAsync(tina.MemberId));
            Assert.Equal((tina.DeviceId, tina.MemberId, false, 1), (hers.DeviceId, hers.MemberId, hers.Current, hers.ActiveSessions));
            CofferApiException nobody = await Assert.ThrowsAsync<CofferApiException>(() => admin.ListForMemberAsync("0190a1b2-0000-7000-8000-0000000000ff"));
            Assert.Equal(404, nobody.Status);

            await admin.DeauthoriseAsync(tina.DeviceId);
            await Assert.ThrowsAsync<CofferDeviceWipedException>(() => tinas.ListAsync());
            AuditEventRow deauthorised = Assert.Single(await EventsAsync(org), e => e.Action == AuditActions.DeviceDeauthorise);
            Assert.Equal((TestOrganisation.OwnerId, tina.DeviceId), (deauthorised.ActorMemberId, deauthorised.TargetId));
            Assert.Contains(tina.MemberId, deauthorised.Details, StringComparison.Ordinal);
        }
    }

    [Theory, BothEngines]
    public async Task SignIn_FromANewDevice_MailsTheMemberOnce_AndNoLogLineCarriesTheAddress(Engine engine)
    {
        CapturedLogs logs = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, configure: b => b.Logging.AddProvider(logs));
        string sessionId;
        using (SignInResult first = await org.SignInOwnerAsync(deviceId: LaptopId))
        {
            sessionId = first.Session.SessionId;
        }
        (await org.SignInOwnerAsync(deviceId: LaptopId)).Dispose();

        string mail = Assert.Single(NewDeviceMails(org));
        Assert.Contains($"\r\nTo: {TestOrganisation.OwnerEmail}\r\n", mail, StringComparison.Ordinal);
        Assert.Contains("Device:   Test laptop", mail, StringComparison.Ordinal);
        Assert.Contains("Platform: linux-cli (client 0.1.0)", mail, StringComparison.Ordinal);
        Assert.Contains("Address:  127.0.0.1", mail, StringComparison.Ordinal);
        Assert.Matches(@"Time:     \d{4}-\d\d-\d\d \d\d:\d\d UTC", mail);
        Assert.DoesNotContain(sessionId, mail, StringComparison.Ordinal);
        Assert.DoesNotContain(TestOrganisation.Setup.SecretKey.Format(), mail, StringComparison.Ordinal);

        (await org.SignInOwnerAsync(deviceId: PhoneId)).Dispose();
        Assert.Equal(2, NewDeviceMails(org).Length);
        Assert.Contains(logs.Lines, l => l.Contains("New-device mail sent", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(TestOrganisation.OwnerEmail, StringComparison.OrdinalIgnoreCase));
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, byte[] body, string contentType)
    {
        ByteArrayContent content = new(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        return new HttpResponseMessage(status) { Content = content };
    }

    private static string[] NewDeviceMails(TestOrganisation org)
    {
        string outbox = org.Server.Services.GetRequiredService<Mailer>().OutboxDirectory;
        return Directory.Exists(outbox)
            ? [.. Directory.GetFiles(outbox, "*.eml").Select(File.ReadAllText)
                .Where(m => m.Contains($"\r\nSubject: {NewDeviceMail.Subject}\r\n", StringComparison.Ordinal))]
            : [];
    }

    private static async Task<List<AuditEventRow>> EventsAsync(TestOrganisation org)
    {
        await org.Server.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);
        return await org.Server.Services.GetRequiredService<AuditStore>().EventsAsync(0, 1000, CancellationToken.None);
    }
}
