using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Sessions;
using Coffer.Server.Common.Errors;
using Coffer.Server.Features.Audit;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace Coffer.Server.Features.Sessions;

/// <summary>Endpoint metadata: this endpoint runs inside the session layer.</summary>
internal sealed class RequiresCofferSession;

/// <summary>
/// Endpoint metadata: a session that still owes a second factor may call this endpoint (the MFA calls and sign-out,
/// PROTOCOL.md §6); every other endpoint answers it 403 <c>mfa-required</c> (docs/adr/0022).
/// </summary>
internal sealed class AllowedWhileMfaPending;

/// <summary>
/// Endpoint metadata: this endpoint answers a stream of Server-Sent Events, each sealed on its own (ADR 0008). The
/// session layer does not buffer its answer; the endpoint writes through <see cref="SealedEventStream"/>.
/// </summary>
internal sealed class StreamsSealedEvents;

/// <summary>
/// The answer of a streaming endpoint: status 200, <c>text/event-stream</c>, and each event's data one envelope under
/// the session key with AAD <c>coffer/session/&lt;sessionId&gt;/&lt;seq&gt;/event/&lt;n&gt;</c>, n = 1, 2, 3… — so a
/// reader that opens them in order notices any event dropped, repeated, reordered or moved from another stream.
/// </summary>
internal sealed class SealedEventStream(HttpContext context, SessionKeys keys, ulong seq)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] KeepAliveComment = ":\n\n"u8.ToArray();
    private ulong _n;

    public bool Started => context.Response.HasStarted;

    public async Task WriteAsync(byte[] plaintext, CancellationToken ct)
    {
        await StartAsync(ct);
        _n++;
        byte[] envelope = keys.SealEvent(seq, _n, plaintext).ToJsonBytes();
        await context.Response.Body.WriteAsync(DataPrefix, ct);
        await context.Response.Body.WriteAsync(envelope, ct);
        await context.Response.Body.WriteAsync(EventEnd, ct);
        await context.Response.Body.FlushAsync(ct);
    }

    /// <summary>An SSE comment: keeps proxies from closing an idle stream; it carries nothing, so it is not sealed.</summary>
    public async Task KeepAliveAsync(CancellationToken ct)
    {
        await StartAsync(ct);
        await context.Response.Body.WriteAsync(KeepAliveComment, ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private async Task StartAsync(CancellationToken ct)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await context.Response.StartAsync(ct);
    }
}

/// <summary>The authenticated caller of a request that passed the session layer.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="MemberId">The signed-in member.</param>
/// <param name="DeviceId">The member's device.</param>
/// <param name="MfaSatisfied">False while a factor is owed.</param>
/// <param name="Ip">The client's address (after trusted proxies).</param>
/// <param name="Confirmed">False for a member who accepted an invitation but is not confirmed yet: they may
/// sign in and manage their own sessions, nothing else (<see cref="ConfirmedMemberFilter"/>).</param>
/// <param name="Seq">The request's sequence number: a write records (session, seq) in its own transaction (table session_writes)
/// so the same write replayed to another node fails (PROTOCOL.md §6).</param>
/// <param name="SignedInAt">When the session's SRP proof was checked (Unix ms): how recent its authentication is (docs/adr/0017).</param>
/// <param name="MfaPresented">True when this session presented a factor, or signed in from a device remembered for one (docs/adr/0022):
/// what administrative functions need.</param>
internal sealed record CofferCaller(string SessionId, string MemberId, string DeviceId, bool MfaSatisfied, string? Ip, ulong Seq, bool Confirmed = true,
    long SignedInAt = 0, bool MfaPresented = false);

/// <summary>
/// The server half of the session layer (PROTOCOL.md §6). For endpoints marked
/// <see cref="RequiresCofferSession"/>: checks <c>Coffer-Auth</c> (session, sequence number in the
/// replay window, HMAC over method, raw target, seq and body), opens the sealed body, runs the
/// endpoint on the plaintext, and seals whatever it answers — errors and empty answers
/// included — under the session key bound to the seq and status. A request that fails the check
/// gets a plain 401 and learns nothing else. A session of a deauthorised device passes the check
/// once more, and its answer is the sealed remote-wipe instruction (ADR 0012).
/// </summary>
internal sealed partial class SessionLayerMiddleware(RequestDelegate next, ISessionStore sessions, LiveSessions liveSessions, TimeProvider clock,
    ILogger<SessionLayerMiddleware> log)
{

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequiresCofferSession>() is null)
        {
            await next(context);
            return;
        }
        CancellationToken ct = context.RequestAborted;
        string? header = context.Request.Headers[CofferAuthHeader.Name];
        if (!CofferAuthHeader.TryParse(header, out string? sessionId, out ulong seq, out byte[]? tag))
        {
            await RefuseAsync(context, "malformed or missing Coffer-Auth");
            return;
        }
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        SessionRecord? record = await sessions.FindAsync(sessionId, ct);
        if (record is null || !(record.IsUsableAt(now) || record.IsWipeDueAt(now)))
        {
            liveSessions.Forget(sessionId);
            await RefuseAsync(context, "unknown or expired session");
            return;
        }
        LiveSession live = liveSessions.Acquire(record);
        try
        {
            await RunInSessionAsync(context, record, live, seq, tag, now, ct);
        }
        finally
        {
            live.Release();
        }
    }

    private async Task RunInSessionAsync(HttpContext context, SessionRecord record, LiveSession live, ulong seq, byte[] tag, long now, CancellationToken ct)
    {

        byte[] body;
        try
        {
            body = await ReadBodyAsync(context.Request, ct);
        }
        catch (BadHttpRequestException e)
        {
            // Too large (or cut short) before anything was authenticated: a plain answer, nothing sealed.
            CofferError error = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? CofferErrors.PayloadTooLarge : CofferErrors.InvalidRequest;
            context.Response.StatusCode = error.Status;
            context.Response.ContentType = "application/problem+json";
            await context.Response.Body.WriteAsync(ProblemJson(context, error, null), ct);
            return;
        }
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (context.Request.Path + context.Request.QueryString).ToString();
        if (!live.Keys.VerifyRequestTag(context.Request.Method, target, seq, body, tag) || !live.TryAccept(seq))
        {
            await RefuseAsync(context, "bad tag, replayed or stale sequence number");
            return;
        }
        if (record.IsWipeDueAt(now))
        {
            // Only now, after the tag and the window: nobody without the session key can make the server spend the
            // one wipe answer, and a replayed request on this node is already refused above.
            await DeliverWipeAsync(context, record, live, seq, now, ct);
            return;
        }
        await sessions.TouchAsync(record, now, ct);

        // From here on, every answer is sealed.
        byte[]? plaintext = [];
        if (body.Length > 0)
        {
            plaintext = Envelope.TryParse(body, out Envelope? envelope) && envelope is not null ? live.Keys.OpenRequest(seq, envelope) : null;
            if (plaintext is null)
            {
                await WriteSealedProblemAsync(context, live.Keys, seq, CofferErrors.InvalidRequest, "The body is not an envelope sealed for this request.");
                return;
            }
        }
        context.Request.Body = new MemoryStream(plaintext, writable: false);
        context.Request.ContentLength = plaintext.Length;
        if (plaintext.Length > 0)
        {
            context.Request.ContentType = "application/json";
        }
        context.Features.Set(new CofferCaller(record.SessionId, record.MemberId, record.DeviceId, record.MfaSatisfied,
            context.Connection.RemoteIpAddress?.ToString(), seq, record.Confirmed, record.CreatedAt, record.MfaLevel == "satisfied"));

        if (!record.MfaSatisfied && context.GetEndpoint()?.Metadata.GetMetadata<AllowedWhileMfaPending>() is null)
        {
            await WriteSealedProblemAsync(context, live.Keys, seq, CofferErrors.MfaRequired,
                "This session owes a second factor: present one (POST /api/v1/mfa/verify), or enrol your first (POST /api/v1/mfa/totp) and confirm it.");
            CryptographicOperations.ZeroMemory(plaintext);
            return;
        }
        if (context.GetEndpoint()?.Metadata.GetMetadata<StreamsSealedEvents>() is not null)
        {
            await RunStreamAsync(context, live, seq, ct);
            CryptographicOperations.ZeroMemory(plaintext);
            return;
        }

        Stream original = context.Response.Body;
        using CapturedAnswer captured = new();
        context.Response.Body = captured;
        try
        {
            await next(context);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogUnhandled(log, context.GetEndpoint()?.DisplayName, RedactingExceptionHandler.Describe(e));
            context.Response.Body = original;
            context.Response.Clear();
            await WriteSealedProblemAsync(context, live.Keys, seq, CofferErrors.Internal, null);
            return;
        }
        finally
        {
            context.Response.Body = original;
        }

        // Every answer carries a sealed body, so "no content" travels as 200 with an empty sealed plaintext.
        int status = context.Response.StatusCode == StatusCodes.Status204NoContent ? StatusCodes.Status200OK : context.Response.StatusCode;
        byte[] sealedAnswer = captured.Length == 0 && status >= 400
            ? Seal(live.Keys, seq, status, ProblemJson(context, CofferErrors.ForStatus(status), null))
            : Seal(live.Keys, seq, status, captured.Written);
        await WriteAsync(context, status, sealedAnswer);
        CryptographicOperations.ZeroMemory(plaintext);
    }

    /// <summary>
    /// The remote wipe (PROTOCOL.md §6, ADR 0012): the first authentic request of a session whose device was deauthorised
    /// gets a <c>device-wiped</c> problem with status 401, sealed under the session key and bound to the request's seq and
    /// status, so only this session's client can open it and an unsealed copy proves nothing. It goes out once per
    /// session, recorded with its activity-log event; every later request of the session gets the plain 401.
    /// </summary>
    private async Task DeliverWipeAsync(HttpContext context, SessionRecord record, LiveSession live, ulong seq, long now, CancellationToken ct)
    {
        AuditEntry delivered = new(now, record.MemberId, record.DeviceId, record.SessionId, AuditEntry.CanonicalIp(context.Connection.RemoteIpAddress),
            AuditActions.DeviceWipe, AuditTargets.Device, record.DeviceId, AuditOutcomes.Success);
        if (!await sessions.MarkWipeSentAsync(record, delivered, now, ct))
        {
            liveSessions.Forget(record.SessionId);
            await RefuseAsync(context, "unknown or expired session");
            return;
        }
        LogWipeSent(log, record.DeviceId, record.SessionId);
        Dictionary<string, object?> wipe = new(StringComparer.Ordinal)
        {
            ["deviceId"] = record.DeviceId,
            ["revokedAt"] = record.DeviceRevokedAt ?? now,
        };
        byte[] problem = ProblemJson(context, CofferErrors.DeviceWiped,
            "This device was deauthorised. Delete everything Coffer keeps on it; sign in again only as a new device.", wipe);
        await WriteSealedAsync(context, live.Keys, seq, CofferErrors.DeviceWiped.Status, problem);
        liveSessions.Forget(record.SessionId);
    }

    // A stream is answered as it goes: an error before its first event is still a sealed problem; after it, the stream just ends.
    // It also ends as soon as this node forgets its session (ended, or its member suspended or removed): the endpoint sees the
    // request as aborted.
    private async Task RunStreamAsync(HttpContext context, LiveSession live, ulong seq, CancellationToken ct)
    {
        SealedEventStream stream = new(context, live.Keys, seq);
        context.Features.Set(stream);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(ct, live.Ended);
        context.RequestAborted = stop.Token;
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUnhandled(log, context.GetEndpoint()?.DisplayName, RedactingExceptionHandler.Describe(e));
            if (!stream.Started)
            {
                context.Response.Clear();
                await WriteSealedProblemAsync(context, live.Keys, seq, CofferErrors.Internal, null);
            }
        }
        finally
        {
            // The linked source is disposed on return; whatever runs after this middleware sees the connection's own token.
            context.RequestAborted = ct;
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength == 0 || request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return [];
        }
        using MemoryStream buffer = new();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    private async Task RefuseAsync(HttpContext context, string why)
    {
        LogRefused(log, why);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "application/problem+json";
        await context.Response.Body.WriteAsync(ProblemJson(context, CofferErrors.Unauthenticated, null));
    }

    private static Task WriteSealedProblemAsync(HttpContext context, SessionKeys keys, ulong seq, CofferError error, string? detail)
    {
        context.Response.StatusCode = error.Status;
        return WriteSealedAsync(context, keys, seq, error.Status, ProblemJson(context, error, detail));
    }

    private static Task WriteSealedAsync(HttpContext context, SessionKeys keys, ulong seq, int status, byte[] plaintext) =>
        WriteAsync(context, status, Seal(keys, seq, status, plaintext));

    private static byte[] Seal(SessionKeys keys, ulong seq, int status, ReadOnlySpan<byte> plaintext) => keys.SealResponse(seq, status, plaintext).ToJsonBytes();

    private static async Task WriteAsync(HttpContext context, int status, byte[] sealedBody)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = sealedBody.Length;
        await context.Response.Body.WriteAsync(sealedBody, context.RequestAborted);
    }

    private static byte[] ProblemJson(HttpContext context, CofferError error, string? detail, IDictionary<string, object?>? extensions = null)
    {
        ProblemDetails problem = new() { Type = error.Type, Title = error.Title, Status = error.Status, Detail = detail };
        foreach ((string key, object? value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }
        problem.Extensions["traceId"] = System.Diagnostics.Activity.Current?.Id ?? context.TraceIdentifier;
        return JsonSerializer.SerializeToUtf8Bytes(problem, ProblemJsonContext.Default.ProblemDetails);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session layer refused a request: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Remote wipe sent to device {DeviceId}, session {SessionId}")]
    private static partial void LogWipeSent(ILogger logger, string deviceId, string sessionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Endpoint}; answered 500, nothing written. {Exception}")]
    private static partial void LogUnhandled(ILogger logger, string? endpoint, string exception);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ProblemDetails))]
[System.Text.Json.Serialization.JsonSerializable(typeof(long))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ProblemJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Extensions for endpoints behind the session layer.</summary>
internal static class SessionLayerExtensions
{
    public static TBuilder RequireCofferSession<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new RequiresCofferSession());
        return builder;
    }

    /// <summary>A session that still owes a factor may call this endpoint (docs/adr/0022).</summary>
    public static TBuilder AllowWhileMfaPending<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new AllowedWhileMfaPending());
        return builder;
    }

    public static TBuilder StreamSealedEvents<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new RequiresCofferSession(), new StreamsSealedEvents());
        return builder;
    }

    public static SealedEventStream EventStream(this HttpContext context) =>
        context.Features.Get<SealedEventStream>() ?? throw new InvalidOperationException("This endpoint is not marked as a sealed event stream.");

    public static CofferCaller Caller(this HttpContext context) =>
        context.Features.Get<CofferCaller>() ?? throw new InvalidOperationException("This endpoint is not behind the session layer.");
}
