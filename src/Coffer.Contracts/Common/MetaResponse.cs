namespace Coffer.Contracts.Common;

/// <summary><c>GET /api/v1/meta</c>: what a client needs before it speaks.</summary>
/// <param name="ProtocolVersion">The protocol version (1).</param>
/// <param name="ServerVersion">The server's version.</param>
public sealed record MetaResponse(
    [property: JsonRequired] int ProtocolVersion,
    [property: JsonRequired] string ServerVersion);
