using Coffer.Contracts.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Meta;

/// <remarks>Anyone may call: a client reads the protocol version before it speaks.</remarks>
internal static class MetaEndpoints
{
    public const int ProtocolVersion = 1;

    public static RouteGroupBuilder MapMetaEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", GetMeta).WithName("Meta_Get").AllowAnonymous();
        return group;
    }

    internal static Ok<MetaResponse> GetMeta() => TypedResults.Ok(new MetaResponse(ProtocolVersion, CofferServer.Version));
}
