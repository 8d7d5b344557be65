namespace Coffer.Contracts.Errors;

/// <summary>An RFC 9457 problem as clients read it; switch on <see cref="Type"/> (one of <see cref="ErrorTypes"/>).</summary>
/// <param name="Type">The stable type, e.g. <c>/errors/not-found</c>.</param>
/// <param name="Title">A short fixed title for the type.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">What happened this time; never a secret, key, item field or email.</param>
/// <param name="TraceId">The id the server logged the request under.</param>
/// <remarks>Every member may be absent (servers and proxies omit them), so each has a default: the context
/// treats constructor parameters without one as required.</remarks>
public sealed record ProblemDto(string? Type = null, string? Title = null, int? Status = null, string? Detail = null, string? TraceId = null);
