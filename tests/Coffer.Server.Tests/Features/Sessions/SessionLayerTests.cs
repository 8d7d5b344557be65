using System.Net;
using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Wire;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Sessions;

/// <summary>PROTOCOL.md §6 against a network attacker: every change to a request, every replay and every stale or expired session is refused.</summary>
public class SessionLayerTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task ChangedBodyByte_IsRefused_AndNothingIsWritten(Engine engine)
    {
        TamperingHandler proxy = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        using SignInResult signIn = await org.SignInOwnerAsync();
        PinsDto pins = await SealedPinsAsync(signIn);

        proxy.Tamper = r => r.Body.Length > 0 ? r.WithBodyByteFlipped(r.Body.Length / 2) : r;
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => signIn.Session.SendAsync(HttpMethod.Put, "/api/v1/account/pins", pins, Json.PinsDto, Json.PinsDto));
        proxy.Tamper = null;

        CofferApiException none = await Assert.ThrowsAsync<CofferApiException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/pins", Json.PinsDto));
        Assert.Equal(404, none.Status);
        // Untouched, the same write goes through (the refusal was the tampering, not the request).
        await signIn.Session.ExchangeAsync(HttpMethod.Put, "/api/v1/account/pins", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(pins, Json.PinsDto), default);
        Assert.Equal(pins.Version, (await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/pins", Json.PinsDto)).Version);
    }

    [Theory, BothEngines]
    public async Task ChangedPathOrTag_IsRefused(Engine engine)
    {
        TamperingHandler proxy = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        using SignInResult signIn = await org.SignInOwnerAsync();

        proxy.Tamper = r => r with { Uri = new Uri(r.Uri + "?limit=1") };
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
        proxy.Tamper = r => r with { Auth = r.Auth![..^2] + (r.Auth[^2] == 'A' ? "BA" : "AA") };
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
        proxy.Tamper = r => r with { Method = HttpMethod.Put };
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/pins", Json.PinsDto));
        proxy.Tamper = null;
        Assert.Single((await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse)).Sessions);
    }

    [Theory, BothEngines]
    public async Task ReplayedRequest_IsRefused_AndAnswersAreSealed(Engine engine)
    {
        TamperingHandler proxy = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        using SignInResult signIn = await org.SignInOwnerAsync();
        await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
        TamperedRequest original = proxy.Sent[^1];

        using HttpResponseMessage replayed = await proxy.ReplayAsync(original);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);

        // What an eavesdropper sees of an answer: an envelope, no plaintext.
        proxy.Tamper = null;
        await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);
        using HttpResponseMessage raw = await proxy.ReplayAsync(proxy.Sent[^1] with { });
        Assert.Equal(HttpStatusCode.Unauthorized, raw.StatusCode);
        string body = await raw.Content.ReadAsStringAsync();
        Assert.DoesNotContain(signIn.Session.SessionId, body, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task SuccessfulAnswer_OnTheWire_IsAnEnvelopeWithoutPlaintext(Engine engine)
    {
        RecordingHandler recorder = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: recorder);
        using SignInResult signIn = await org.SignInOwnerAsync();
        await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
        byte[] wire = recorder.LastResponseBody!;
        Assert.True(Envelope.TryParse(wire, out _));
        string text = Encoding.UTF8.GetString(wire);
        Assert.DoesNotContain("owners", text, StringComparison.Ordinal);
        Assert.DoesNotContain("@", text, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task StaleSequenceNumber_NeverSeenButOutsideTheWindow_IsRefused(Engine engine)
    {
        TamperingHandler proxy = new();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, handler: proxy);
        using SignInResult signIn = await org.SignInOwnerAsync();
        proxy.Tamper = _ => null;   // hold back the next request
        await Assert.ThrowsAsync<CofferProtocolException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
        proxy.Tamper = null;
        for (int i = 0; i < 130; i++)
        {
            await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/pins", Json.PinsDto).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        using HttpResponseMessage late = await proxy.ReplayAsync(proxy.Dropped[0]);
        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
    }

    [Theory, BothEngines]
    public async Task IdleOrAbsoluteExpiry_EndsTheSession(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        using SignInResult idle = await org.SignInOwnerAsync();
        clock.Advance(TimeSpan.FromMinutes(9));
        await idle.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);
        clock.Advance(TimeSpan.FromMinutes(11));
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => idle.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));

        using SignInResult busy = await org.SignInOwnerAsync();
        for (int i = 0; i < 8 * 12 - 1; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(5));
            await busy.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);
        }
        clock.Advance(TimeSpan.FromMinutes(5));
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => busy.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
    }

    [Fact]
    public async Task Sqlite_SessionEndedByAnotherProcess_IsRefusedOnceTheNodesCopyAgesOut()
    {
        // The SQLite node keeps the session it found for up to a second of the server's clock (docs/adr/0023); its own changes
        // are seen at once, and a change another process makes on the file (a coffer-server command) once its copy is that old.
        ManualClock clock = new(DateTimeOffset.UtcNow);
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite, clock: clock);
        using SignInResult owner = await org.SignInOwnerAsync();
        await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);
        await using (Microsoft.Data.Sqlite.SqliteConnection other = new($"Data Source={org.Database.SqlitePath};Pooling=False"))
        {
            await other.OpenAsync();
            await using Microsoft.Data.Sqlite.SqliteCommand end = other.CreateCommand();
            end.CommandText = "UPDATE sessions SET ended_at = 1 WHERE id = $id";
            end.Parameters.AddWithValue("$id", owner.Session.SessionId);
            Assert.Equal(1, await end.ExecuteNonQueryAsync());
        }

        await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);   // the node's copy, not yet a second old
        clock.Advance(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => owner.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
    }

    [Theory, BothEngines]
    public async Task SessionEnded_IsRefusedAtTheNextRequest(Engine engine)
    {
        // Ending a session on this node (here: the member ends it from another of their sessions) takes effect at once,
        // also on SQLite, where the node keeps sessions it found (docs/adr/0023).
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult first = await org.SignInOwnerAsync();
        using SignInResult second = await org.SignInOwnerAsync();
        await first.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);
        await second.Session.SendAsync(HttpMethod.Delete, $"/api/v1/sessions/{first.Session.SessionId}");
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => first.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
    }

    [Theory, BothEngines]
    public async Task NoOrForgedSession_IsAPlain401(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using HttpResponseMessage none = await org.Server.Client.GetAsync("/api/v1/sessions");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using HttpRequestMessage forged = new(HttpMethod.Get, "/api/v1/sessions");
        forged.Headers.TryAddWithoutValidation("Coffer-Auth", "v1.0190a1b2-0000-7000-8000-0000000000aa.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        using HttpResponseMessage answer = await org.Server.Client.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
    }

    private static async Task<PinsDto> SealedPinsAsync(SignInResult signIn)
    {
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        using UnlockedAccount account = AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, TestOrganisation.Setup.Account, new Pins(), TimeProvider.System);
        Pins pins = account.Pins;
        (long version, Envelope sealedPins) = pins.Seal(account.Keyset);
        return new PinsDto(account.Keyset.KeysetId, account.Keyset.Serial, version, WireMapper.ToDto(sealedPins));
    }
}

/// <summary>Keeps the last response body as it crossed the wire.</summary>
internal sealed class RecordingHandler() : DelegatingHandler(new HttpClientHandler())
{
    public byte[]? LastResponseBody { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        LastResponseBody = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return response;
    }
}
