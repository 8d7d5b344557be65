namespace Coffer.Contracts.Errors;

/// <summary>An RFC 9457 problem as clients read it; switch on <see cref="Type"/> (one of <see cref="ErrorTypes"/>).</summary>
/// <param name="Type">The stable type, e.g. <c>/errors/not-found</c>.</param>
/// <param name="Title">A short fixed title for the type.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">What happened this time; never a secret, key, item field or email.</param>
/// <param name="TraceId">The id the server logged the request under.</param>
public sealed record ProblemDto(string? Type, string? Title, int? Status, string? Detail, string? TraceId);
