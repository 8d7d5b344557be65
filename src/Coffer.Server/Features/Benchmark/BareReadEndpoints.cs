using Coffer.Contracts.Vaults;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Vaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Benchmark;

/// <summary>
/// The baseline of the load benchmark (docs/performance.md): <c>GET /bench/items/{itemId}</c> reads the same item row
/// as <c>GET /api/v1/vaults/{v}/items/{i}</c> on the same Kestrel, with no session layer, authorisation or accounting.
/// It exists only when <see cref="CofferOptions.BenchmarkBareReads"/> is set, which the server refuses unless it
/// listens on loopback without TLS (a development host): it serves ciphertext to anyone who can connect.
/// </summary>
internal static class BareReadEndpoints
{
    public static void MapBareReadEndpoints(this IEndpointRouteBuilder app, CofferOptions options)
    {
        if (!options.BenchmarkBareReads)
        {
            return;
        }
        if (options.Tls.CertificatePath is not null)
        {
            throw new ConfigurationException("BenchmarkBareReads is for load measurements on a loopback development host only; remove it or the TLS certificate.");
        }
        app.MapGet("/bench/items/{itemId}", ReadItem).ExcludeFromDescription();
    }

    private static async Task<Results<Ok<ItemDto>, ProblemHttpResult>> ReadItem(string itemId, IDatabase database, CancellationToken ct)
    {
        if (!Ids.IsValid(itemId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        return await VaultStore.ReadItemAsync(database, itemId, ct) is { } item ? TypedResults.Ok(item) : Problems.Of(CofferErrors.NotFound);
    }
}
