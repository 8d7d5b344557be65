using Coffer.Contracts.Common;
using Coffer.Server.Features.Operations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Meta;

/// <remarks>
/// Anyone may call: a client reads the protocol version before it speaks, and the restore epoch before it trusts
/// what it syncs (docs/adr/0013-restore-epoch.md).
/// </remarks>
internal static class MetaEndpoints
{
    public const int ProtocolVersion = 1;

    public static RouteGroupBuilder MapMetaEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", GetMeta).WithName("Meta_Get").AllowAnonymous();
        return group;
    }

    internal static async Task<Ok<MetaResponse>> GetMeta(RestoreStore restores, CancellationToken ct)
    {
        RestoreState restore = await restores.CurrentAsync(ct);
        return TypedResults.Ok(new MetaResponse(ProtocolVersion, CofferServer.Version, restore.Epoch, restore.RestoredAt, restore.BackupTakenAt));
    }
}
