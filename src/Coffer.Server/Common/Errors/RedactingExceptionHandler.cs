using Microsoft.AspNetCore.Diagnostics;

namespace Coffer.Server.Common.Errors;

/// <summary>
/// Logs unhandled exceptions without their messages: a database or mail exception's message can carry
/// the values involved (an email in a unique-key violation, a recipient address), and no email or
/// secret may reach a log line. The type and the stack trace are enough to find the fault; the
/// answer itself is the catalog's `internal` problem, written by the ProblemDetails service.
/// </summary>
internal sealed partial class RedactingExceptionHandler(ILogger<RedactingExceptionHandler> log) : IExceptionHandler
{
    public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        Log(log, httpContext.GetEndpoint()?.DisplayName, Describe(exception));
        return ValueTask.FromResult(false);
    }

    /// <summary>Exception types and stack traces, inner ones included, and never a message.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        System.Text.StringBuilder text = new();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            text.Append(e.GetType().FullName).Append('\n').Append(e.StackTrace).Append('\n');
        }
        return text.ToString();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Endpoint}; answered 500, nothing written. {Exception}")]
    private static partial void Log(ILogger logger, string? endpoint, string exception);
}
