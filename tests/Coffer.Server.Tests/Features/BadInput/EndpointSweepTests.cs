using System.Data.Common;
using System.Net;
using System.Text;
using Coffer.Contracts.Errors;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Dapper;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace Coffer.Server.Tests.Features.BadInput;

/// <summary>
/// Every endpoint behind the session layer, found from the running server's own routing table (so a new endpoint is
/// covered without editing this file): without a session it is 401; with a session, invalid ids, SQL metacharacters,
/// malformed JSON, wrong types and unknown fields each get a ProblemDetails 4xx with a stable type — never a 500 —
/// and nothing in the database changes.
/// </summary>
public sealed class EndpointSweepTests
{
    private static readonly string[] BadIds =
    [
        "not-an-id",
        "x'%3B%20DROP%20TABLE%20members%3B%20--",
        "0190A1B2-0000-7000-8000-00000000AAAA",
        "0190a1b2-0000-7000-8000-00000000aaaa",
        "0190a1b2-0000-4000-8000-00000000aaaa",
    ];

    private static readonly string[] BadBodies =
    [
        "{\"a\":",
        "[]",
        "5",
        "null",
        "\"text\"",
        "{\"zzUnknown\":1}",
        "{\"id\":\"'; DELETE FROM members; --\",\"name\":[1,2],\"version\":\"x\"}",
    ];

    private static readonly string[] BadQueries = ["?since=abc", "?since=-1&limit=0", "?limit=99999999999", "?after=-5&limit=-1"];

    /// <summary>Tables whose rows change on every authenticated call (sessions' last use, the activity log and sign-in state).</summary>
    private static readonly HashSet<string> Volatile = new(StringComparer.Ordinal)
    {
        "sessions", "session_writes", "devices", "auth_failures", "auth_attempts", "schema_migrations",
    };

    [Theory, BothEngines]
    public async Task EverySessionEndpoint_WithoutASession_Is401(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        List<(string Method, string Pattern, bool Body)> endpoints = SessionEndpoints(org);
        Assert.True(endpoints.Count >= 25, $"found only {endpoints.Count} endpoints");
        foreach ((string method, string pattern, _) in endpoints)
        {
            using HttpRequestMessage request = new(new HttpMethod(method), Fill(pattern, "0190a1b2-0000-7000-8000-00000000aaaa"));
            using HttpResponseMessage response = await org.Server.Client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern}: {(int)response.StatusCode}");
        }
    }

    [Theory, BothEngines]
    public async Task EverySessionEndpoint_WithBadIdsOrBodies_AnswersAProblemAndWritesNothing(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult owner = await org.SignInOwnerAsync();
        string before = await SnapshotAsync(org.Database.Database);
        int calls = 0;
        foreach ((string method, string pattern, bool body) in SessionEndpoints(org))
        {
            HttpMethod verb = new(method);
            if (pattern.Contains('{', StringComparison.Ordinal))
            {
                foreach (string id in BadIds)
                {
                    await AssertRefusedAsync(owner, verb, Fill(pattern, id), body ? "{}" : null);
                    calls++;
                }
            }
            if (body)
            {
                foreach (string bad in BadBodies)
                {
                    await AssertRefusedAsync(owner, verb, Fill(pattern, "0190a1b2-0000-7000-8000-00000000bbbb"), bad);
                    calls++;
                }
            }
            if (method == "GET" && !Streams(org, pattern))
            {
                foreach (string query in BadQueries)
                {
                    await AssertNoServerErrorAsync(owner, verb, Fill(pattern, "0190a1b2-0000-7000-8000-00000000bbbb") + query);
                    calls++;
                }
            }
        }
        Assert.True(calls > 100, $"only {calls} calls");
        Assert.Equal(before, await SnapshotAsync(org.Database.Database));
    }

    private static List<(string Method, string Pattern, bool Body)> SessionEndpoints(TestOrganisation org) =>
        [.. org.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<RequiresCofferSession>() is not null)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m =>
                (m, "/" + e.RoutePattern.RawText!.TrimStart('/'), e.Metadata.GetMetadata<IAcceptsMetadata>() is not null)))
            .Where(e => e.Item2 != "/api/v1/auth/signout")
            .OrderBy(e => e.Item2, StringComparer.Ordinal).ThenBy(e => e.m, StringComparer.Ordinal)];

    /// <summary>Server-Sent Events streams answer 200 and stay open; their bad input is the same session check as the rest.</summary>
    private static bool Streams(TestOrganisation org, string pattern) =>
        org.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Any(e => "/" + e.RoutePattern.RawText!.TrimStart('/') == pattern && e.Metadata.GetMetadata<StreamsSealedEvents>() is not null);

    private static string Fill(string pattern, string id)
    {
        StringBuilder path = new();
        int i = 0;
        while (i < pattern.Length)
        {
            int open = pattern.IndexOf('{', i);
            if (open < 0)
            {
                path.Append(pattern, i, pattern.Length - i);
                break;
            }
            path.Append(pattern, i, open - i);
            string name = pattern[(open + 1)..pattern.IndexOf('}', open)];
            path.Append(name == "principalKind" ? "member" : id);
            i = pattern.IndexOf('}', open) + 1;
        }
        return path.ToString();
    }

    private static async Task AssertRefusedAsync(SignInResult owner, HttpMethod method, string path, string? body)
    {
        CofferApiException problem = await Assert.ThrowsAsync<CofferApiException>(() =>
            owner.Session.ExchangeAsync(method, path, body is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(body), default));
        string what = $"{method} {path} {body}: {problem.Status} {problem.Type}";
        Assert.True(problem.Status is >= 400 and < 500, what);
        Assert.NotNull(problem.Type);
        Assert.StartsWith(ErrorTypes.Prefix, problem.Type, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", problem.Problem?.Detail ?? "", StringComparison.Ordinal);
    }

    private static async Task AssertNoServerErrorAsync(SignInResult owner, HttpMethod method, string path)
    {
        try
        {
            _ = await owner.Session.ExchangeAsync(method, path, ReadOnlyMemory<byte>.Empty, default);
        }
        catch (CofferApiException problem)
        {
            Assert.True(problem.Status is >= 400 and < 500, $"{method} {path}: {problem.Status} {problem.Type}");
            Assert.StartsWith(ErrorTypes.Prefix, problem.Type, StringComparison.Ordinal);
        }
    }

    /// <summary>Every row of every table but the volatile ones; the activity log only by count of non-read events is not compared (reads are logged).</summary>
    private static async Task<string> SnapshotAsync(IDatabase database)
    {
        await using DbConnection c = await database.OpenAsync(CancellationToken.None);
        string tablesSql = database.Engine == DatabaseEngine.Sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name";
        StringBuilder dump = new();
        foreach (string table in await c.QueryAsync<string>(tablesSql))
        {
            if (Volatile.Contains(table) || table.StartsWith("audit", StringComparison.Ordinal) || table.StartsWith("sqlite_", StringComparison.Ordinal))
            {
                continue;
            }
            List<string> rows = [];
            foreach (IDictionary<string, object> row in (await c.QueryAsync($"SELECT * FROM \"{table}\"")).Cast<IDictionary<string, object>>())
            {
                rows.Add(string.Join('|', row.Select(kv => kv.Key + "=" + (kv.Value is byte[] b ? Convert.ToHexString(b) : Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture)))));
            }
            rows.Sort(StringComparer.Ordinal);
            dump.Append(table).Append('\n').AppendJoin('\n', rows).Append('\n');
        }
        return dump.ToString();
    }
}
