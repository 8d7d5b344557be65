using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Common.Errors;

/// <remarks>Anyone may read these: each problem type's URI is a page that explains it.</remarks>
internal static class ErrorPageEndpoints
{
    public static IEndpointRouteBuilder MapErrorPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/errors/{slug}", GetErrorPage).WithName("Errors_Page").ExcludeFromDescription();
        return app;
    }

    internal static Results<ContentHttpResult, NotFound> GetErrorPage(string slug)
    {
        CofferError? error = CofferErrors.FindBySlug(slug);
        if (error is null)
        {
            return TypedResults.NotFound();
        }
        string html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>{WebUtility.HtmlEncode(error.Title)} — Coffer</title></head>
            <body><h1>{WebUtility.HtmlEncode(error.Title)}</h1>
            <p><code>{WebUtility.HtmlEncode(error.Type)}</code> · HTTP {error.Status}</p>
            <p>{WebUtility.HtmlEncode(error.Help)}</p></body></html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }
}
