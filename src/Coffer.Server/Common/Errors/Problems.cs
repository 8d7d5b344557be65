using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Coffer.Server.Common.Errors;

/// <summary>Builds RFC 9457 answers from the catalog, so every error a handler returns has a stable type.</summary>
internal static class Problems
{
    public static ProblemHttpResult Of(CofferError error, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: error.Status, title: error.Title, type: error.Type, extensions: extensions);

    public static ProblemHttpResult Validation(string field, string message) =>
        Of(CofferErrors.ValidationFailed, message, new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });

    /// <summary>Fills in what the framework leaves out: our type for the status, a trace id, and never an exception.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        ProblemDetails p = context.ProblemDetails;
        int status = p.Status ?? context.HttpContext.Response.StatusCode;
        bool ours = p.Type is not null && p.Type.StartsWith(Contracts.Errors.ErrorTypes.Prefix, StringComparison.Ordinal);
        if (!ours)
        {
            CofferError error = CofferErrors.ForStatus(status);
            p.Type = error.Type;
            p.Title = error.Title;
            p.Detail = null;
        }
        p.Status = status;
        p.Instance = null;
        p.Extensions.Remove("exception");
        p.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
    }
}
